package gateway

import (
	"context"
	"net/url"

	"github.com/portico-gw/portico/internal/cache"
)

// cached answers a request on a cached route from the response cache, calling
// the backend on a miss with the request as the key sees it: the declared
// query parameters and Vary headers, and the tracing headers, never the
// caller's identity. The key holds the route and its service.
func (s proxy) cached(ctx context.Context, r *request, policy cache.Policy) (*backendResponse, error) {
	service := r.res.Route.Service
	creq := cache.Request{Route: r.res.Route.ID, Service: service, Method: r.method, Path: r.path, Query: r.query, Header: headersFor(r, service, false)}
	resp, err := s.cache.Do(ctx, policy, creq, func(ctx context.Context, keyed cache.Request) (*cache.Response, error) {
		u := &url.URL{Scheme: "http", Host: service, Path: r.res.Target(keyed.Path), RawQuery: keyed.Query.Encode()}
		r.res.RequestHeaders().AddSet(keyed.Header) // the route's constant headers; never keyed (rules.go)
		out, err := s.b.send(ctx, keyed.Method, u, keyed.Header, nil, r.res.Timeout())
		if err != nil {
			return nil, err
		}
		return &cache.Response{Status: out.status, Header: out.header, Body: out.body}, nil
	})
	if err != nil {
		return nil, err
	}
	r.log.cache = resp.Header.Get("X-Cache")
	return &backendResponse{status: resp.Status, header: resp.Header, body: resp.Body}, nil
}
