package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/portico-gw/portico/internal/apikey"
	"github.com/portico-gw/portico/internal/cache"
	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/cors"
	"github.com/portico-gw/portico/pkg/trace"
)

// Configuration gives the configuration snapshot in use, and false while none
// has loaded (503); a *live.Watch[*config.Snapshot] is one.
type Configuration interface {
	Current(ctx context.Context) (*config.Snapshot, bool)
}

// Cacher answers a request from the response cache or from fetch; a
// *cache.Cache is one.
type Cacher interface {
	Do(ctx context.Context, p cache.Policy, req cache.Request, fetch cache.Fetch) (*cache.Response, error)
}

// KeyResolver resolves an API key (x-api-key) to its record; an
// *apikey.Resolver is one.
type KeyResolver interface {
	Resolve(ctx context.Context, key string) (apikey.Record, error)
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes   = 5 << 20
	DefaultMaxQueryParams = 1000
	DefaultDeadlineMargin = 100 * time.Millisecond
	// DefaultMaxResponseBytes caps an answer as Lambda receives it: the
	// proxy response serialised to JSON, body base64-encoded or escaped,
	// with its headers. Lambda refuses a synchronous response over 6 MB
	// (6,291,556 bytes) and API Gateway then answers a 502 of its own.
	DefaultMaxResponseBytes = 6_000_000
)

// Config configures a Handler.
type Config struct {
	// Configuration is the live configuration: route table, permissions,
	// limits, gRPC transcoders and service policies. Required.
	Configuration Configuration
	// Transport sends requests to http://<service>/<path>: in production the
	// mesh client. Required. The gateway sends each request with one
	// RoundTrip and never follows a redirect: a backend's 3xx goes back to
	// the client.
	Transport http.RoundTripper
	// APIKeys, when set, resolves the x-api-key header: an unknown or disabled
	// key gets 403, a known one sets the caller's tier. Without it the header
	// is ignored. The header never reaches a backend.
	APIKeys KeyResolver
	// Cache, when set, serves the routes whose route-table entry has a cache
	// policy (never a userSpecific one). A cached route's backend receives only
	// what enters the cache key: the declared query parameters and Vary
	// headers, and the tracing headers.
	Cache Cacher
	// Usage, when set, counts the requests that reach a backend per hour, per
	// API key, route and tenant, as the limits document's usage section asks
	// (meter.go).
	Usage UsageRecorder
	// Tracer, when set, records the request in X-Ray: under the Lambda
	// function's segment when the invocation carries one (active tracing),
	// else in a segment of the gateway's own named Name. The mesh client
	// records a subsegment per backend call in it.
	Tracer *trace.Tracer
	// Name names the gateway's own segment; default "portico-gateway".
	Name string
	// MaxBodyBytes caps request and backend response bodies. Default 5 MiB,
	// under Lambda's 6 MB payload limit.
	MaxBodyBytes int64
	// MaxResponseBytes caps every answer (a service's, a composite's, a gRPC
	// method's) as serialised for Lambda; a larger one is replaced by the
	// gateway's own 502 naming the limit. Default DefaultMaxResponseBytes.
	MaxResponseBytes int
	// CORS, when set, lets the pages of its origins call the API from a
	// browser: preflights are answered from it (they carry no credentials,
	// so API Gateway sends them here without the authorizer) and every answer
	// carries its headers for an allowed origin, and none for another;
	// Access-Control-* headers from backends are dropped.
	CORS *cors.Policy
	// MaxQueryParams caps the number of query values a request may carry;
	// more is 400. Default 1000, under what common backends accept, so a
	// backend sees every value the gateway checked.
	MaxQueryParams int
	// DeadlineMargin is kept from the function's deadline to answer 504
	// before Lambda ends the invocation. Default 100ms.
	DeadlineMargin time.Duration
	// Logger receives one access line per request, and failures. Nil discards.
	Logger *slog.Logger
	// Metrics receives one CloudWatch embedded-metric-format line per request
	// (in Lambda, stdout). Nil writes none.
	Metrics io.Writer
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// NewID returns a new request ID. Nil means a random UUID.
	NewID func() string
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.Configuration == nil {
		return errors.New("gateway: config: Configuration is required")
	}
	if c.Transport == nil {
		return errors.New("gateway: config: Transport is required")
	}
	if c.MaxBodyBytes < 0 || c.MaxQueryParams < 0 || c.DeadlineMargin < 0 || c.MaxResponseBytes < 0 {
		return errors.New("gateway: config: MaxBodyBytes, MaxResponseBytes, MaxQueryParams and DeadlineMargin must not be negative")
	}
	if c.CORS != nil {
		if err := c.CORS.Validate(); err != nil {
			return fmt.Errorf("gateway: config: %w", err)
		}
	}
	return nil
}

// Handler serves API Gateway proxy events.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	steps []step
}

// New returns a Handler for cfg.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxQueryParams == 0 {
		cfg.MaxQueryParams = DefaultMaxQueryParams
	}
	if cfg.DeadlineMargin == 0 {
		cfg.DeadlineMargin = DefaultDeadlineMargin
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	if cfg.Name == "" {
		cfg.Name = "portico-gateway"
	}
	h := &Handler{cfg: cfg, log: cfg.Logger}
	h.steps = pipeline(cfg)
	return h, nil
}

// Handle serves one proxy event. It never returns an error: every failure is
// an HTTP answer with a JSON body {"message", "requestId"}.
//
// A composite route answers 200 with one JSON object: each call's JSON answer
// under its key, null for an optional call that failed, and "_meta" with every
// call's service, status and latency (and, when it failed, a short reason). A
// required call that fails makes the answer 502 (504 when it timed out)
// naming the call, and the calls still running are cancelled.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	r := &request{ev: &ev, id: h.cfg.NewID(), method: ev.HTTPMethod, clientIP: ev.RequestContext.Identity.SourceIP, start: h.cfg.Now(),
		origin: eventHeader(ev, "Origin")}
	r.snap, _ = h.cfg.Configuration.Current(ctx)
	ctx, end := h.startTrace(ctx, r)
	resp := h.run(ctx, r)
	end(resp.StatusCode)
	return h.respond(ctx, r, resp), nil
}

// run takes r through the steps until one answers.
func (h *Handler) run(ctx context.Context, r *request) response {
	for _, s := range h.steps {
		if resp := s.serve(ctx, r); resp != nil {
			return *resp
		}
	}
	// The backend step always answers; reaching here is a bug in pipeline.
	return errorResponse(http.StatusInternalServerError, "Internal error", r.id)
}
