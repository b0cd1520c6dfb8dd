package meshproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/trace"
)

// Dependencies are what the proxy's handlers call; Run builds them from the
// Config (Cloud Map discovery and policies, certificates, tracing).
type Dependencies struct {
	// Mesh sends calls to services: over mutual TLS when the Config has
	// certificates. Required.
	Mesh *mesh.Client
	// Plain sends calls to the Config's Plaintext services, without TLS.
	// Required when Plaintext is set.
	Plain *mesh.Client
	// Credentials are the service's certificates, for the inbound proxy.
	// Required with Config.InboundListen.
	Credentials *mtls.Credentials
	// Local sends inbound calls to Config.InboundTarget. Default: a
	// transport that never uses a proxy.
	Local http.RoundTripper
	// Tracer, when set, starts the inbound calls' segments and the
	// segment of an outbound call that comes without a trace; the mesh
	// clients (with the same tracer) record each call's subsegment.
	Tracer *trace.Tracer
	// Invocation returns the tracing header of the Lambda invocation in
	// progress, which an outbound call without a trace header joins. Nil
	// outside Lambda.
	Invocation func() string
	// Logger receives one line per failed call. Nil discards.
	Logger *slog.Logger
}

// Server holds the outbound and inbound handlers.
type Server struct {
	cfg       Config
	d         Dependencies
	log       *slog.Logger
	plaintext map[string]bool
	allow     map[string]bool

	mu   sync.Mutex
	seen map[string]bool // service names sent to the mesh; true: the last call got an answer
}

// New returns the Server for cfg.
func New(cfg Config, d Dependencies) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Mesh == nil {
		return nil, errors.New("meshproxy: Dependencies.Mesh is required")
	}
	if len(cfg.Plaintext) > 0 && d.Plain == nil {
		return nil, errors.New("meshproxy: Dependencies.Plain is required for the Plaintext services")
	}
	if cfg.InboundListen != "" && d.Credentials == nil {
		return nil, errors.New("meshproxy: Dependencies.Credentials are required for the inbound proxy")
	}
	s := &Server{cfg: cfg, d: d, log: d.Logger, plaintext: map[string]bool{}, seen: map[string]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.d.Local == nil {
		s.d.Local = &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}
	}
	for _, p := range cfg.Plaintext {
		s.plaintext[p] = true
	}
	if len(cfg.Services) > 0 {
		s.allow = map[string]bool{}
		for _, name := range cfg.Services {
			s.allow[name] = true
		}
	}
	return s, nil
}

// Outbound returns the handler of the loopback port: it forwards
// http://localhost:<port>/<service>/<path> and, as a forward proxy,
// http://<service>/<path>, to an instance of <service> chosen by the mesh.
func (s *Server) Outbound() http.Handler { return http.HandlerFunc(s.outbound) }

func (s *Server) outbound(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !isLoopback(r.RemoteAddr) {
		// Defence in depth: the listener is on a loopback address.
		writeProblem(w, "", problem{http.StatusForbidden, codeNotLocal, "portico-mesh serves callers on this host only"})
		return
	}
	service, target, p := s.target(r)
	if p != nil {
		writeProblem(w, service, *p)
		return
	}
	if p := s.admit(service); p != nil {
		writeProblem(w, service, *p)
		return
	}
	body, err := readBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			writeProblem(w, service, problem{http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("the request body is over the proxy's limit of %d bytes", s.cfg.MaxRequestBytes)})
		} else {
			writeProblem(w, service, problem{http.StatusBadRequest, codeBadRequest, "the request body could not be read"})
		}
		return
	}
	ctx, seg := s.traceContext(r, service, target)
	out := &http.Request{Method: r.Method, URL: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: cleanHeader(r.Header)}
	setBody(out, body)
	out = out.WithContext(ctx)
	client := s.d.Mesh
	if s.plaintext[service] {
		client = s.d.Plain
	}
	resp, err := client.RoundTrip(out)
	if err != nil {
		s.seenResult(service, false)
		p := classify(r.Context(), service, err)
		if r.Context().Err() == nil {
			s.log.WarnContext(ctx, "portico-mesh: call failed", "service", service, "method", r.Method, "status", p.status, "code", p.code, "err", err, "ms", time.Since(start).Milliseconds())
			writeProblem(w, service, p)
		}
		endSegment(seg, p.status, err)
		return
	}
	s.seenResult(service, true)
	status := resp.StatusCode
	if _, err := relay(w, resp, service, s.cfg.MaxResponseBytes); err != nil {
		s.log.WarnContext(ctx, "portico-mesh: answer cut off", "service", service, "status", status, "err", err)
		endSegment(seg, status, err)
		return
	}
	endSegment(seg, status, nil)
}

// target returns the service and the URL to send the request to, or the
// problem with it.
func (s *Server) target(r *http.Request) (string, *url.URL, *problem) {
	bad := func(service, format string, args ...any) (string, *url.URL, *problem) {
		return service, nil, &problem{http.StatusBadRequest, codeBadRequest, fmt.Sprintf(format, args...)}
	}
	if r.Method == http.MethodConnect {
		return "", nil, &problem{http.StatusMethodNotAllowed, codeUnsupported,
			"CONNECT is not supported: call http://<service>/ (plain HTTP): the proxy speaks mutual TLS to the service itself, so set HTTP_PROXY, not HTTPS_PROXY"}
	}
	if isUpgrade(r) {
		return "", nil, &problem{http.StatusNotImplemented, codeUnsupported, "protocol upgrades (WebSocket, h2c) are not supported"}
	}
	escaped := r.URL.EscapedPath()
	if r.URL.IsAbs() {
		// Forward-proxy form: GET http://payment/charge HTTP/1.1.
		if r.URL.Scheme != "http" {
			return bad("", "scheme %q is not supported: call http://<service>/", r.URL.Scheme)
		}
		if host := r.URL.Hostname(); !s.isSelf(host, r.URL.Port()) {
			if net.ParseIP(host) != nil {
				return bad("", "%q is an address, not a service name: the mesh finds the address itself", host)
			}
			if !ValidName(host) {
				return bad("", "%q is not a service name", host)
			}
			return host, &url.URL{Scheme: "http", Host: host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}, nil
		}
	}
	// Path form: /<service>/<path>.
	name, rest, _ := strings.Cut(strings.TrimPrefix(escaped, "/"), "/")
	if name == "" {
		return bad("", "no service in the path: call http://%s/<service>/<path>", s.cfg.Listen)
	}
	if !ValidName(name) || net.ParseIP(name) != nil {
		return bad("", "%q is not a service name: call http://%s/<service>/<path>", name, s.cfg.Listen)
	}
	u, err := url.Parse("http://" + name + "/" + rest)
	if err != nil {
		return bad(name, "the path %q is not a valid URL path", "/"+rest)
	}
	u.RawQuery = r.URL.RawQuery
	return name, u, nil
}

// isSelf reports whether host:port of an absolute request URL is this
// proxy, so that a client that sends everything through HTTP_PROXY reaches
// the path form too.
func (s *Server) isSelf(host, port string) bool {
	lhost, lport, _ := net.SplitHostPort(s.cfg.Listen)
	if port == "" {
		port = "80"
	}
	if port != lport {
		return false
	}
	if host == "localhost" || host == lhost {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// admit checks service against the allow-list, or the bound on distinct
// names when there is none.
func (s *Server) admit(service string) *problem {
	if s.allow != nil {
		if !s.allow[service] {
			return &problem{http.StatusForbidden, codeNotAllowed, fmt.Sprintf("%q is not one of the services this proxy may call (PORTICO_MESH_SERVICES)", service)}
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[service]; ok {
		return nil
	}
	if len(s.seen) >= s.cfg.MaxServices {
		return &problem{http.StatusServiceUnavailable, codeTooMany, fmt.Sprintf("this proxy has called %d different services, its limit (PORTICO_MESH_MAX_SERVICES); list the services it may call in PORTICO_MESH_SERVICES", s.cfg.MaxServices)}
	}
	s.seen[service] = false
	return nil
}

// seenResult records whether the last call to service got an answer.
func (s *Server) seenResult(service string, answered bool) {
	s.mu.Lock()
	s.seen[service] = answered
	s.mu.Unlock()
}

// Known returns the services worth keeping warm: the allow-list, and the
// services whose last call got an answer, sorted.
func (s *Server) Known() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name, ok := range s.seen {
		if ok || s.allow[name] {
			out = append(out, name)
		}
	}
	for name := range s.allow {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Client returns the mesh client that calls service.
func (s *Server) Client(service string) *mesh.Client {
	if s.plaintext[service] {
		return s.d.Plain
	}
	return s.d.Mesh
}

// traceContext returns the context of an outbound call: it continues the
// caller's X-Amzn-Trace-Id, else the Lambda invocation's, else starts a
// segment named after this service, whose span it returns to be ended.
func (s *Server) traceContext(r *http.Request, service string, target *url.URL) (context.Context, *trace.Span) {
	ctx := r.Context()
	if s.d.Tracer == nil {
		return ctx, nil
	}
	h, err := trace.ParseHeader(r.Header.Get(trace.HeaderName))
	if err != nil && s.d.Invocation != nil {
		h, err = trace.ParseHeader(s.d.Invocation())
	}
	if err == nil && h.Parent != "" {
		return trace.ContextWithHeader(ctx, h), nil
	}
	if err != nil {
		h = trace.Header{}
	}
	name := s.cfg.Service
	if name == "" {
		name = "portico-mesh"
	}
	ctx, seg := s.d.Tracer.StartSegment(ctx, name, h, true)
	seg.SetRequest(r.Method, "http://"+service+target.RequestURI(), "")
	return ctx, seg
}

func endSegment(seg *trace.Span, status int, err error) {
	if seg == nil {
		return
	}
	seg.SetStatus(status, err)
	seg.End()
}

// Inbound returns the handler of the inbound port, to serve with
// InboundTLS: it passes calls from verified mesh members to the local
// service with the caller's identity in CallerHeader, inside a segment
// named after the local service when tracing.
func (s *Server) Inbound() http.Handler {
	h := http.Handler(http.HandlerFunc(s.inbound))
	if s.d.Tracer != nil {
		h = s.d.Tracer.Middleware(h)
	}
	return h
}

// InboundTLS returns the inbound port's TLS configuration: this service's
// certificate, and a client certificate required from one of
// Config.InboundAllow (any member of the mesh when empty).
func (s *Server) InboundTLS() *tls.Config {
	return s.d.Credentials.ServerConfig(s.cfg.InboundAllow...)
}

func (s *Server) inbound(w http.ResponseWriter, r *http.Request) {
	caller := mtls.PeerIdentity(r.TLS)
	if caller == "" {
		writeProblem(w, "", problem{http.StatusForbidden, codeNotAllowed, "callers must present a mesh certificate"})
		return
	}
	if r.Method == http.MethodConnect || r.URL.IsAbs() || !strings.HasPrefix(r.RequestURI, "/") {
		writeProblem(w, s.cfg.Service, problem{http.StatusBadRequest, codeBadRequest, "the inbound port takes origin-form requests only (GET /path)"})
		return
	}
	if isUpgrade(r) {
		writeProblem(w, s.cfg.Service, problem{http.StatusNotImplemented, codeUnsupported, "protocol upgrades (WebSocket, h2c) are not supported"})
		return
	}
	body, err := readBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			writeProblem(w, s.cfg.Service, problem{http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("the request body is over the proxy's limit of %d bytes", s.cfg.MaxRequestBytes)})
		} else {
			writeProblem(w, s.cfg.Service, problem{http.StatusBadRequest, codeBadRequest, "the request body could not be read"})
		}
		return
	}
	hdr := cleanHeader(r.Header)
	deleteFolded(hdr, CallerHeader)
	hdr.Set(CallerHeader, caller)
	if s.d.Tracer != nil {
		s.d.Tracer.Inject(r.Context(), hdr)
	}
	out := &http.Request{
		Method: r.Method, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: hdr, Host: r.Host,
		URL: &url.URL{Scheme: "http", Host: s.cfg.InboundTarget, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
	}
	setBody(out, body)
	resp, err := s.d.Local.RoundTrip(out.WithContext(r.Context()))
	if err != nil {
		if r.Context().Err() == nil {
			s.log.WarnContext(r.Context(), "portico-mesh: local service did not answer", "caller", caller, "err", err)
			writeProblem(w, s.cfg.Service, problem{http.StatusBadGateway, codeUnreachable, fmt.Sprintf("%q did not answer", s.cfg.Service)})
		}
		return
	}
	if _, err := relay(w, resp, s.cfg.Service, s.cfg.MaxResponseBytes); err != nil {
		s.log.WarnContext(r.Context(), "portico-mesh: local answer cut off", "caller", caller, "err", err)
	}
}
