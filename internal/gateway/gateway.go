package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/portico-gw/portico/pkg/auth"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// Limiter decides whether a client may make another request.
type Limiter interface {
	Allow(ctx context.Context, key string) (ratelimit.Decision, error)
}

// Config configures a Handler.
type Config struct {
	// Routes is the route table. Nil means DefaultRoutes().
	Routes []Route
	// Client sends requests to http://<service>/<path>; in production it is the
	// mesh client. Required.
	Client *http.Client
	// Permissions are the per-route role and scope requirements.
	Permissions []Permission
	// Limiter, when set, limits requests per client IP. A limiter error lets the
	// request through (fail-open) and is logged.
	Limiter Limiter
	// MaxBodyBytes caps request and backend response bodies. Default 5 MiB,
	// under Lambda's 6 MB payload limit.
	MaxBodyBytes int64
	// Logger receives one line per request. Nil discards.
	Logger *slog.Logger
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// NewID returns a new request ID. Nil means a random UUID.
	NewID func() string
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.Client == nil {
		return errors.New("gateway: config: Client is required")
	}
	if c.MaxBodyBytes < 0 {
		return errors.New("gateway: config: MaxBodyBytes is negative")
	}
	if err := validatePermissions(c.Permissions); err != nil {
		return err
	}
	return validateRoutes(c.Routes)
}

// Handler serves API Gateway proxy events.
type Handler struct {
	cfg Config
}

// New returns a Handler for cfg.
func New(cfg Config) (*Handler, error) {
	if cfg.Routes == nil {
		cfg.Routes = DefaultRoutes()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 5 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return uuid.NewString() }
	}
	return &Handler{cfg: cfg}, nil
}

// request is what the handler knows about one client request.
type request struct {
	id       string
	method   string
	path     string // cleaned
	query    url.Values
	header   http.Header // sanitized and enriched, ready for a backend
	body     []byte
	userID   string
	clientIP string
}

// Handle serves one proxy event. It never returns an error: every failure is an
// HTTP answer with a JSON body.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	start := h.cfg.Now()
	req := &request{id: h.cfg.NewID(), method: ev.HTTPMethod, clientIP: ev.RequestContext.Identity.SourceIP}
	resp := h.serve(ctx, ev, req, start)
	if resp.MultiValueHeaders == nil {
		resp.MultiValueHeaders = map[string][]string{}
	}
	resp.MultiValueHeaders["X-Request-Id"] = []string{req.id}
	h.cfg.Logger.InfoContext(ctx, "request",
		"requestId", req.id, "method", ev.HTTPMethod, "path", ev.Path, "status", resp.StatusCode,
		"userId", req.userID, "clientIp", req.clientIP, "durationMs", h.cfg.Now().Sub(start).Milliseconds())
	return resp, nil
}

func (h *Handler) serve(ctx context.Context, ev events.APIGatewayProxyRequest, req *request, start time.Time) events.APIGatewayProxyResponse {
	// Identity: the authorizer's context is the only source.
	authz := ev.RequestContext.Authorizer
	userID, _ := authz[auth.ContextUserID].(string)
	if userID == "" {
		return errorResponse(http.StatusUnauthorized, "Unauthorized", req.id)
	}
	req.userID = userID
	if exp, ok := contextInt(authz[auth.ContextExpiresAt]); ok && !h.cfg.Now().Before(time.Unix(exp, 0)) {
		return errorResponse(http.StatusUnauthorized, "Token expired", req.id)
	}
	id := identityFrom(authz)
	if !id.valid() {
		return errorResponse(http.StatusUnauthorized, "Invalid token", req.id)
	}

	var limitHeaders map[string][]string
	if h.cfg.Limiter != nil {
		d, err := h.cfg.Limiter.Allow(ctx, req.clientIP)
		if err != nil {
			h.cfg.Logger.WarnContext(ctx, "rate limit unavailable, failing open", "requestId", req.id, "err", err)
		} else {
			limitHeaders = rateLimitHeaders(d, h.cfg.Now())
			if !d.Allowed {
				resp := errorResponse(http.StatusTooManyRequests, "Too Many Requests", req.id)
				mergeHeaders(resp.MultiValueHeaders, limitHeaders)
				resp.MultiValueHeaders["Retry-After"] = limitHeaders["RateLimit-Reset"]
				return resp
			}
		}
	}

	p, err := cleanPath(ev.Path)
	if err != nil {
		return withHeaders(errorResponse(http.StatusBadRequest, "Bad request path", req.id), limitHeaders)
	}
	req.path = p
	req.query = url.Values(ev.MultiValueQueryStringParameters)
	if req.query == nil {
		req.query = url.Values{}
		for k, v := range ev.QueryStringParameters {
			req.query.Set(k, v)
		}
	}
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded, h.cfg.MaxBodyBytes)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return withHeaders(errorResponse(status, err.Error(), req.id), limitHeaders)
	}
	req.body = body
	req.header = backendHeaders(ev, req.id, id, start)

	if perm, ok := permissionFor(h.cfg.Permissions, req.method, p); ok {
		if ok, reason := allowed(perm, id.roles, id.scopes); !ok {
			return withHeaders(forbidden(reason, req.id), limitHeaders)
		}
	}
	var resp events.APIGatewayProxyResponse
	if p == DashboardPath {
		resp = h.dashboard(ctx, req)
	} else if route, ok := match(h.cfg.Routes, p); ok {
		resp = h.proxy(ctx, req, route)
	} else {
		resp = errorResponse(http.StatusNotFound, "No route for "+p, req.id)
	}
	return withHeaders(resp, limitHeaders)
}

// proxy forwards req to the route's service.
func (h *Handler) proxy(ctx context.Context, req *request, route Route) events.APIGatewayProxyResponse {
	target := strings.TrimPrefix(req.path, route.Strip)
	if target == "" {
		target = "/"
	}
	res, err := h.call(ctx, route.Service, req.method, target, req.query, req.header, req.body, route.Timeout)
	if err != nil {
		return h.backendError(ctx, req, route.Service, err)
	}
	return proxyResponse(res)
}

// backendResponse is a fully read backend answer.
type backendResponse struct {
	status int
	header http.Header
	body   []byte
}

var errTooLarge = errors.New("body too large")

// call sends one request to service and reads the whole answer, within timeout
// and the caller's deadline.
func (h *Handler) call(ctx context.Context, service, method, p string, query url.Values, header http.Header, body []byte, timeout time.Duration) (*backendResponse, error) {
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := url.URL{Scheme: "http", Host: service, Path: p, RawQuery: query.Encode()}
	hreq, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header = header.Clone()
	res, err := h.cfg.Client.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, h.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > h.cfg.MaxBodyBytes {
		return nil, fmt.Errorf("%s: response %w", service, errTooLarge)
	}
	return &backendResponse{status: res.StatusCode, header: res.Header, body: b}, nil
}

func (h *Handler) backendError(ctx context.Context, req *request, service string, err error) events.APIGatewayProxyResponse {
	h.cfg.Logger.WarnContext(ctx, "backend call failed", "requestId", req.id, "service", service, "err", err)
	if errors.Is(err, context.DeadlineExceeded) {
		return errorResponse(http.StatusGatewayTimeout, "Upstream "+service+" timed out", req.id)
	}
	return errorResponse(http.StatusBadGateway, "Upstream "+service+" unavailable", req.id)
}

// hopByHop are the headers that describe one connection (RFC 9110 §7.6.1).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// backendHeaders builds the headers a backend receives: the client's, less
// anything that describes the connection, the client's credentials, or claims
// only the gateway may make, plus the gateway's identity and enrichment headers.
func backendHeaders(ev events.APIGatewayProxyRequest, requestID string, id identity, start time.Time) http.Header {
	in := http.Header{}
	if ev.MultiValueHeaders != nil {
		for k, vs := range ev.MultiValueHeaders {
			for _, v := range vs {
				in.Add(k, v)
			}
		}
	} else {
		for k, v := range ev.Headers {
			in.Add(k, v)
		}
	}
	out := http.Header{}
	drop := map[string]bool{"Host": true, "Content-Length": true, "Authorization": true}
	for _, h := range hopByHop {
		drop[h] = true
	}
	for _, v := range in.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			drop[textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	for k, vs := range in {
		switch {
		case drop[k], strings.HasPrefix(k, "X-User-"), strings.HasPrefix(k, "X-Forwarded-"),
			k == "X-Request-Id", k == "X-Request-Start", k == "X-Real-Ip":
			continue
		}
		out[k] = vs
	}
	// Set after filtering, so that nothing a client names in Connection can
	// remove them.
	out.Set("X-User-Id", id.userID)
	out.Set("X-User-Roles", strings.Join(id.roles, ","))
	if len(id.scopes) > 0 {
		out.Set("X-User-Scopes", strings.Join(id.scopes, " "))
	}
	if id.tier != "" {
		out.Set("X-User-Tier", id.tier)
	}
	for k, v := range id.claims {
		out.Set("X-User-"+k, v)
	}
	out.Set("X-Request-Id", requestID)
	if ip := ev.RequestContext.Identity.SourceIP; ip != "" {
		out.Set("X-Forwarded-For", ip)
	}
	out.Set("X-Forwarded-Proto", "https")
	out.Set("X-Request-Start", "t="+strconv.FormatInt(start.UnixMilli(), 10))
	return out
}

// proxyResponse turns a backend answer into a proxy response. Hop-by-hop
// headers are not passed back; the body is base64 when it is not UTF-8 text.
func proxyResponse(res *backendResponse) events.APIGatewayProxyResponse {
	hdr := map[string][]string{}
	skip := map[string]bool{"Content-Length": true}
	for _, h := range hopByHop {
		skip[h] = true
	}
	for k, vs := range res.header {
		if !skip[k] {
			hdr[k] = vs
		}
	}
	out := events.APIGatewayProxyResponse{StatusCode: res.status, MultiValueHeaders: hdr}
	if utf8.Valid(res.body) {
		out.Body = string(res.body)
	} else {
		out.Body = base64.StdEncoding.EncodeToString(res.body)
		out.IsBase64Encoded = true
	}
	return out
}

func decodeBody(body string, isBase64 bool, limit int64) ([]byte, error) {
	b := []byte(body)
	if isBase64 {
		var err error
		b, err = base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, errors.New("request body is not valid base64")
		}
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("request %w: limit %d bytes", errTooLarge, limit)
	}
	return b, nil
}

func rateLimitHeaders(d ratelimit.Decision, now time.Time) map[string][]string {
	reset := int64(d.Reset.Sub(now).Seconds() + 0.999)
	if reset < 1 {
		reset = 1
	}
	return map[string][]string{
		"RateLimit-Limit":     {strconv.FormatInt(d.Limit, 10)},
		"RateLimit-Remaining": {strconv.FormatInt(d.Remaining, 10)},
		"RateLimit-Reset":     {strconv.FormatInt(reset, 10)},
	}
}

func withHeaders(resp events.APIGatewayProxyResponse, h map[string][]string) events.APIGatewayProxyResponse {
	if resp.MultiValueHeaders == nil {
		resp.MultiValueHeaders = map[string][]string{}
	}
	mergeHeaders(resp.MultiValueHeaders, h)
	return resp
}

func mergeHeaders(dst, src map[string][]string) {
	for k, v := range src {
		dst[k] = v
	}
}

// errorResponse is the gateway's own answer: JSON with a message and the request ID.
func errorResponse(status int, message, requestID string) events.APIGatewayProxyResponse {
	b, _ := json.Marshal(struct {
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	}{message, requestID})
	return events.APIGatewayProxyResponse{
		StatusCode:        status,
		MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		Body:              string(b),
	}
}

// identity is the caller as the authorizer context describes it.
type identity struct {
	userID string
	roles  []string
	scopes []string
	tier   string
	claims map[string]string // header suffix → value
}

// identityFrom reads the authorizer context that package auth wrote.
func identityFrom(authz map[string]any) identity {
	str := func(k string) string { s, _ := authz[k].(string); return s }
	id := identity{userID: str(auth.ContextUserID), tier: str(auth.ContextTier)}
	id.roles = strings.FieldsFunc(str(auth.ContextRoles), func(r rune) bool { return r == ',' })
	id.scopes = strings.Fields(str(auth.ContextScopes))
	for k, v := range authz {
		name, ok := strings.CutPrefix(k, auth.ContextClaimPrefix)
		s, isString := v.(string)
		if ok && isString && validHeaderToken(name) && validHeaderValue(s) {
			if id.claims == nil {
				id.claims = map[string]string{}
			}
			id.claims[textproto.CanonicalMIMEHeaderKey(name)] = s
		}
	}
	return id
}

// validHeaderValue reports whether s can be sent as a header value as is.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// valid reports whether every identity field can travel in a header.
func (id identity) valid() bool {
	return validHeaderValue(id.userID) && validHeaderValue(id.tier) &&
		validHeaderValue(strings.Join(id.roles, ",")) && validHeaderValue(strings.Join(id.scopes, " "))
}

// validHeaderToken reports whether s can be part of a header name.
func validHeaderToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// contextInt reads a number from the authorizer context, where API Gateway may
// deliver it as a JSON number or a string.
func contextInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}
