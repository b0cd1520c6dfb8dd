package gateway

import (
	"context"

	"github.com/portico-gw/portico/pkg/ratelimit"
)

// step is one part of the request path: it returns nil to pass the request on
// to the next step, or the answer that ends it. A step reads the request and
// the configuration snapshot it carries, and the dependencies it was built
// with; it never reaches back into the Handler.
type step interface {
	serve(ctx context.Context, r *request) *response
}

// pipeline composes the steps in the order a request meets them (see the
// package documentation).
func pipeline(cfg Config) []step {
	b := &backends{transport: cfg.Transport, maxBody: cfg.MaxBodyBytes, margin: cfg.DeadlineMargin, now: cfg.Now, log: cfg.Logger}
	return []step{
		clean{maxBody: cfg.MaxBodyBytes, maxQuery: cfg.MaxQueryParams},
		addressFilter{log: cfg.Logger},
		preflight{policy: cfg.CORS},
		identify{now: cfg.Now},
		limit{dims: ratelimit.NetworkDimensions, now: cfg.Now, log: cfg.Logger},
		resolveKey{keys: cfg.APIKeys, log: cfg.Logger},
		limit{dims: ratelimit.CallerDimensions, now: cfg.Now, log: cfg.Logger},
		routeStep{},
		requestRules{log: cfg.Logger},
		authorise{},
		enrich{},
		meter{rec: cfg.Usage},
		responseRules{next: backend{proxy: proxy{b: b, cache: cfg.Cache}, composite: composite{b: b}, grpc: grpcStep{b: b}}},
	}
}

// backend answers the request from the route's target: a composite route's
// calls, a gRPC method, or a service (through the response cache when the
// route has a cache policy).
type backend struct {
	proxy     proxy
	composite composite
	grpc      grpcStep
}

func (s backend) serve(ctx context.Context, r *request) *response {
	switch {
	case r.res.Route.Composite != nil:
		return s.composite.serve(ctx, r)
	case r.res.Route.GRPC != nil:
		return s.grpc.serve(ctx, r)
	}
	return s.proxy.serve(ctx, r)
}
