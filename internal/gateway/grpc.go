package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/transcode"
	"google.golang.org/grpc"

	// The standard google.rpc error details (BadRequest, ResourceInfo,
	// RetryInfo, ...) are rendered in error bodies even when a backend's
	// descriptor set does not include them.
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
)

// Transcoder answers an HTTP/JSON request by calling a gRPC method; a
// *transcode.Transcoder is one.
type Transcoder interface {
	Transcode(ctx context.Context, req *transcode.Request) (status int, header http.Header, body []byte)
}

// Transcoders gives the Transcoder of a gRPC route of a route table, or nil
// when it has none; a *GRPCBackends is one.
type Transcoders interface {
	Transcoder(t *route.Table, routeID string) Transcoder
}

// DescriptorSource reads a stored descriptor set (a binary
// FileDescriptorSet) by name. It returns an error wrapping route.ErrNotFound
// when there is none.
type DescriptorSource interface {
	Descriptors(ctx context.Context, name string) ([]byte, error)
}

// GRPCMetadata are the request headers a gRPC backend receives as metadata:
// the gateway's identity, request, trace and enrichment headers. The client's
// own headers are not sent.
var GRPCMetadata = []string{
	"X-User-*", "X-Api-Key-Id", "X-Request-Id", "X-Amzn-Trace-Id", "Traceparent", "Tracestate",
	"X-Forwarded-For", "X-Forwarded-Proto", "X-Request-Start",
}

// keepTables is how many route tables' transcoders GRPCBackends keeps: the
// current one and the one before, which requests in flight may still use.
const keepTables = 2

// GRPCConfig configures GRPCBackends.
type GRPCConfig struct {
	// Descriptors reads the descriptor sets the route table names. Required.
	Descriptors DescriptorSource
	// Caller runs each gRPC call on instances of its backend: the mesh
	// client, so that gRPC backends get its balancing, outlier ejection,
	// per-try timeouts and retries. Either Caller or Resolver is required.
	Caller transcode.Caller
	// Resolver finds the one instance of a gRPC backend each call is made
	// to, without retries (tests, or a fixed address).
	Resolver transcode.Resolver
	// DialOptions are added to every backend connection (default plaintext).
	DialOptions []grpc.DialOption
	// Logger receives loads and failures. Nil discards.
	Logger *slog.Logger
}

// Validate reports an unusable configuration.
func (c GRPCConfig) Validate() error {
	switch {
	case c.Descriptors == nil:
		return errors.New("gateway: grpc config: Descriptors is required")
	case c.Caller == nil && c.Resolver == nil:
		return errors.New("gateway: grpc config: Caller or Resolver is required")
	case c.Caller != nil && c.Resolver != nil:
		return errors.New("gateway: grpc config: set Caller or Resolver, not both")
	}
	return nil
}

// GRPCBackends builds and keeps the Transcoders of the route table's gRPC
// routes: Prepare, the route.Store's Prepare hook, loads the descriptor sets
// a new table names, checks its gRPC routes against them and builds one
// Transcoder per route; a failure keeps the Store's last good table. Safe for
// concurrent use.
type GRPCBackends struct {
	cfg GRPCConfig
	log *slog.Logger

	mu      sync.Mutex
	tables  []*route.Table // oldest first, at most keepTables
	byRoute map[*route.Table]map[string]*transcode.Transcoder
}

var _ Transcoders = (*GRPCBackends)(nil)

// NewGRPCBackends returns GRPCBackends for cfg.
func NewGRPCBackends(cfg GRPCConfig) (*GRPCBackends, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &GRPCBackends{cfg: cfg, log: cfg.Logger, byRoute: map[*route.Table]map[string]*transcode.Transcoder{}}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	return g, nil
}

// Prepare loads the descriptor sets t names and builds the Transcoders of
// its gRPC routes. It fails, and builds nothing, when a set is missing or
// invalid or a route does not fit its set (route.ErrDescriptors).
func (g *GRPCBackends) Prepare(ctx context.Context, t *route.Table) error {
	sets := map[string]*transcode.Descriptors{}
	for _, name := range t.DescriptorSets() {
		b, err := g.cfg.Descriptors.Descriptors(ctx, name)
		if err != nil {
			return fmt.Errorf("gateway: descriptor set %q: %w", name, err)
		}
		d, err := transcode.Load(b)
		if err != nil {
			return fmt.Errorf("gateway: descriptor set %q: %w", name, err)
		}
		sets[name] = d
	}
	routes, err := t.GRPC(sets)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	built := map[string]*transcode.Transcoder{}
	for _, r := range t.GRPCRoutes() {
		tr, err := transcode.New(transcode.Config{
			Service:     r.GRPC.Service,
			Descriptors: sets[r.GRPC.Descriptors],
			Routes:      routes[r.ID],
			Caller:      g.cfg.Caller,
			Resolver:    g.cfg.Resolver,
			Metadata:    GRPCMetadata,
			DialOptions: g.cfg.DialOptions,
			Logger:      g.log,
		})
		if err != nil {
			closeAll(built)
			return fmt.Errorf("gateway: route %q: %w", r.ID, err)
		}
		built[r.ID] = tr
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tables = append(g.tables, t)
	g.byRoute[t] = built
	for len(g.tables) > keepTables {
		old := g.tables[0]
		g.tables = g.tables[1:]
		closeAll(g.byRoute[old])
		delete(g.byRoute, old)
	}
	if len(built) > 0 {
		g.log.InfoContext(ctx, "gateway: gRPC routes ready", "routes", len(built), "descriptorSets", t.DescriptorSets())
	}
	return nil
}

// Transcoder returns the Transcoder of t's route routeID, or nil when t was
// not prepared or the route is not a gRPC route.
func (g *GRPCBackends) Transcoder(t *route.Table, routeID string) Transcoder {
	g.mu.Lock()
	defer g.mu.Unlock()
	if tr := g.byRoute[t][routeID]; tr != nil {
		return tr
	}
	return nil
}

// Close closes every backend connection.
func (g *GRPCBackends) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for _, t := range g.tables {
		errs = append(errs, closeAll(g.byRoute[t]))
		delete(g.byRoute, t)
	}
	g.tables = nil
	return errors.Join(errs...)
}

func closeAll(m map[string]*transcode.Transcoder) error {
	var errs []error
	for _, tr := range m {
		errs = append(errs, tr.Close())
	}
	return errors.Join(errs...)
}

// grpc answers a gRPC route: the route's Transcoder decodes the JSON request,
// calls the method within the route's timeout and the function's deadline,
// and answers in JSON, a gRPC error status mapped as grpc-gateway does.
func (h *Handler) grpc(ctx context.Context, req *request, tbl *route.Table, res route.Result) events.APIGatewayProxyResponse {
	service := res.Route.GRPC.Service
	var tr Transcoder
	if h.cfg.GRPC != nil {
		tr = h.cfg.GRPC.Transcoder(tbl, res.Route.ID)
	}
	if tr == nil {
		h.log.ErrorContext(ctx, "gRPC route has no transcoder", "xRequestId", req.id, "route", res.Route.ID)
		return errorResponse(http.StatusServiceUnavailable, "gRPC route "+res.Route.ID+" is not ready", req.id)
	}
	start := h.cfg.Now()
	ctx, cancel, err := h.bound(ctx, res.Timeout())
	if err != nil {
		req.log.backends = append(req.log.backends, backendStat{Service: service, Status: http.StatusGatewayTimeout})
		return errorResponse(http.StatusGatewayTimeout, "Upstream "+service+" timed out", req.id)
	}
	defer cancel()
	status, header, body := tr.Transcode(ctx, &transcode.Request{
		Method: req.method,
		Path:   (&url.URL{Path: res.Target(req.path)}).EscapedPath(),
		Query:  req.query,
		Header: req.header,
		Body:   req.body,
	})
	req.log.backends = append(req.log.backends, backendStat{Service: service, Status: status, LatencyMs: ms(h.cfg.Now().Sub(start))})
	if status >= http.StatusInternalServerError {
		h.log.WarnContext(ctx, "gRPC call failed", "xRequestId", req.id, "route", res.Route.ID, "service", service, "status", status)
	}
	return proxyResponse(&backendResponse{status: status, header: header, body: body})
}
