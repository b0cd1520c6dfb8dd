package trace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Clock is the time source of span times.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config configures a Tracer.
type Config struct {
	// Service names the segments that Middleware starts. Required for
	// Middleware.
	Service string
	// Sender delivers finished segments (a *UDP in production). Required.
	Sender Sender
	// Sample decides for a request that carries no sampling decision
	// whether its trace is recorded. Nil records every trace.
	Sample func(r *http.Request) bool
	// Clock is the time source. Nil means the system clock.
	Clock Clock
	// Logger receives send failures. Nil discards.
	Logger *slog.Logger
	// W3C makes Inject send the W3C traceparent header beside
	// X-Amzn-Trace-Id, for callees instrumented with OpenTelemetry, and
	// Middleware continue a caller's traceparent when it sent no
	// X-Amzn-Trace-Id (w3c.go).
	W3C bool
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.Sender == nil {
		return errors.New("trace: config: Sender is required")
	}
	return nil
}

// Tracer starts spans and sends them when they end. Safe for concurrent use.
type Tracer struct {
	cfg   Config
	clock Clock
	log   *slog.Logger
}

// New returns a Tracer for cfg.
func New(cfg Config) (*Tracer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Tracer{cfg: cfg, clock: cfg.Clock, log: cfg.Logger}
	if t.clock == nil {
		t.clock = systemClock{}
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	return t, nil
}

// Span is a segment or subsegment in progress.
type Span struct {
	t       *Tracer
	sampled bool
	mu      sync.Mutex
	seg     Segment
	ended   bool
}

type spanKey struct{}
type remoteKey struct{}

// FromContext returns the span in ctx, or nil.
func FromContext(ctx context.Context) *Span {
	s, _ := ctx.Value(spanKey{}).(*Span)
	return s
}

// ContextWithHeader returns a context whose spans continue the trace of h,
// as children of h.Parent: for code that runs under a segment it did not
// start, such as a Lambda function's (whose header Lambda gives in the
// _X_AMZN_TRACE_ID environment variable or the invocation context).
func ContextWithHeader(ctx context.Context, h Header) context.Context {
	return context.WithValue(ctx, remoteKey{}, h)
}

// NewTraceID returns a new X-Ray trace ID for a trace starting at now.
func NewTraceID(now time.Time) string {
	return fmt.Sprintf("1-%08x-%08x%016x", uint32(now.Unix()), rand.Uint32(), rand.Uint64())
}

// NewSpanID returns a new segment ID.
func NewSpanID() string {
	return fmt.Sprintf("%016x", rand.Uint64())
}

// StartSegment starts a segment named name that continues parent's trace (a
// new trace when parent.Root is empty), and returns a context that carries
// it. sampled decides a trace whose parent made no decision.
func (t *Tracer) StartSegment(ctx context.Context, name string, parent Header, sampled bool) (context.Context, *Span) {
	now := t.clock.Now()
	s := &Span{t: t, sampled: sampled, seg: Segment{Name: name, ID: NewSpanID(), TraceID: parent.Root, ParentID: parent.Parent, StartTime: epoch(now)}}
	switch parent.Sampled {
	case Sampled:
		s.sampled = true
	case NotSampled:
		s.sampled = false
	}
	if s.seg.TraceID == "" {
		s.seg.TraceID, s.seg.ParentID = NewTraceID(now), ""
	}
	return context.WithValue(ctx, spanKey{}, s), s
}

// StartSubsegment starts a subsegment named name as a child of the span in
// ctx, or of the header given by ContextWithHeader; with neither, it starts
// a new trace. It returns a context that carries the subsegment.
func (t *Tracer) StartSubsegment(ctx context.Context, name string) (context.Context, *Span) {
	now := t.clock.Now()
	s := &Span{t: t, seg: Segment{Name: name, ID: NewSpanID(), Type: "subsegment", StartTime: epoch(now)}}
	if p := FromContext(ctx); p != nil {
		s.seg.TraceID, s.seg.ParentID, s.sampled = p.seg.TraceID, p.seg.ID, p.sampled
	} else if h, ok := ctx.Value(remoteKey{}).(Header); ok && h.Root != "" {
		s.seg.TraceID, s.seg.ParentID, s.sampled = h.Root, h.Parent, h.Sampled != NotSampled
	} else {
		s.seg.Type, s.seg.TraceID, s.sampled = "", NewTraceID(now), true
	}
	return context.WithValue(ctx, spanKey{}, s), s
}

// Header returns the header that makes a callee's segment a child of s.
func (s *Span) Header() Header {
	h := Header{Root: s.seg.TraceID, Parent: s.seg.ID, Sampled: NotSampled}
	if s.sampled {
		h.Sampled = Sampled
	}
	return h
}

// TraceID returns the span's trace ID.
func (s *Span) TraceID() string { return s.seg.TraceID }

// Annotate adds an indexed annotation; value is a string, number or bool.
func (s *Span) Annotate(key string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seg.Annotations == nil {
		s.seg.Annotations = map[string]any{}
	}
	s.seg.Annotations[key] = value
}

// SetRequest records the request's method and URL.
func (s *Span) SetRequest(method, url, clientIP string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seg.HTTP == nil {
		s.seg.HTTP = &HTTP{}
	}
	s.seg.HTTP.Request = &HTTPRequest{Method: method, URL: url, ClientIP: clientIP, Traced: s.seg.Namespace == "remote"}
}

// SetStatus records the response status (0: no response) and err, and sets
// the error (4xx), throttle (429) and fault (5xx, no response) flags.
func (s *Span) SetStatus(status int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status > 0 {
		if s.seg.HTTP == nil {
			s.seg.HTTP = &HTTP{}
		}
		s.seg.HTTP.Response = &HTTPResponse{Status: status}
	}
	switch {
	case status == http.StatusTooManyRequests:
		s.seg.Error, s.seg.Throttle = true, true
	case status >= 500, status == 0 && err != nil:
		s.seg.Fault = true
	case status >= 400:
		s.seg.Error = true
	}
	if err != nil {
		s.seg.Cause = &Cause{Exceptions: []Exception{{ID: NewSpanID(), Message: err.Error()}}}
	}
}

// End ends the span and, when its trace is sampled, sends it. Later calls
// do nothing.
func (s *Span) End() {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	s.seg.EndTime = epoch(s.t.clock.Now())
	seg := s.seg
	s.mu.Unlock()
	if !s.sampled {
		return
	}
	if err := s.t.cfg.Sender.Send(&seg); err != nil {
		s.t.log.Warn("trace: segment not sent", "trace_id", seg.TraceID, "err", err)
	}
}

// StartCall starts a remote subsegment for a call to service with req
// (part of mesh.Tracer).
func (t *Tracer) StartCall(ctx context.Context, req *http.Request, service string) context.Context {
	ctx, s := t.StartSubsegment(ctx, service)
	s.seg.Namespace = "remote"
	s.SetRequest(req.Method, req.URL.String(), "")
	return ctx
}

// Inject sets the trace header for the span in ctx on h (part of
// mesh.Tracer). Without a span it does nothing.
func (t *Tracer) Inject(ctx context.Context, h http.Header) {
	if s := FromContext(ctx); s != nil {
		h.Set(HeaderName, s.Header().String())
		if t.cfg.W3C {
			if tp, ok := s.Header().Traceparent(); ok {
				h.Set(TraceparentName, tp)
				h.Del("Tracestate") // a state of the caller's vendors describes another parent
			}
		}
	}
}

// EndCall ends the span StartCall put in ctx with the call's outcome and
// annotations (part of mesh.Tracer).
func (t *Tracer) EndCall(ctx context.Context, status int, err error, annotations map[string]any) {
	s := FromContext(ctx)
	if s == nil {
		return
	}
	for k, v := range annotations {
		s.Annotate(k, v)
	}
	s.SetStatus(status, err)
	s.End()
}

// Middleware continues the caller's trace in a segment named Config.Service
// for each request (a new trace when the request has no valid header), puts
// the segment in the request's context, so calls made with it are its
// subsegments, and answers with the trace header.
func (t *Tracer) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parent, err := ParseHeader(r.Header.Get(HeaderName))
		if err != nil && t.cfg.W3C {
			parent, err = ParseTraceparent(r.Header.Get(TraceparentName))
		}
		if err != nil {
			parent = Header{}
		}
		sampled := parent.Sampled == Sampled || (parent.Sampled == SampleUnknown && (t.cfg.Sample == nil || t.cfg.Sample(r)))
		ctx, s := t.StartSegment(r.Context(), t.cfg.Service, parent, sampled)
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		s.SetRequest(r.Method, scheme+"://"+r.Host+r.URL.RequestURI(), ip)
		w.Header().Set(HeaderName, Header{Root: s.seg.TraceID, Sampled: s.Header().Sampled}.String())
		rec := &recorder{ResponseWriter: w}
		defer func() {
			s.SetStatus(rec.statusOrOK(), nil)
			s.End()
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// recorder remembers the status a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) statusOrOK() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
