package gateway

import (
	"context"
	"net/http"
	"net/url"

	"github.com/portico-gw/portico/pkg/transcode"

	// The standard google.rpc error details (BadRequest, ResourceInfo,
	// RetryInfo, ...) are rendered in error bodies even when a backend's
	// descriptor set does not include them.
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
)

// grpcStep answers a gRPC route: the snapshot's transcoder for the route
// decodes the JSON request, calls the method through the mesh within the
// route's timeout and the function's deadline, and answers in JSON, a gRPC
// error status mapped as grpc-gateway does. The backend receives the
// gateway's identity, request and trace headers as metadata
// (config.GRPCMetadata), never the client's own headers.
type grpcStep struct {
	b *backends
}

func (s grpcStep) serve(ctx context.Context, r *request) *response {
	service := r.res.Route.GRPC.Service
	tr := r.snap.Transcoder(r.res.Route.ID)
	if tr == nil {
		s.b.log.ErrorContext(ctx, "gRPC route has no transcoder", "xRequestId", r.id, "route", r.res.Route.ID)
		return answer(http.StatusServiceUnavailable, "gRPC route "+r.res.Route.ID+" is not ready", r.id)
	}
	start := s.b.now()
	ctx, cancel, err := s.b.bound(ctx, r.res.Timeout())
	if err != nil {
		r.log.backends = append(r.log.backends, backendStat{Service: service, Status: http.StatusGatewayTimeout})
		return answer(http.StatusGatewayTimeout, "Upstream "+service+" timed out", r.id)
	}
	defer cancel()
	status, header, body := tr.Transcode(ctx, &transcode.Request{
		Method: r.method,
		Path:   (&url.URL{Path: r.res.Target(r.path)}).EscapedPath(),
		Query:  r.query,
		Header: headersFor(r, service, false),
		Body:   r.body,
	})
	r.log.backends = append(r.log.backends, backendStat{Service: service, Status: status, LatencyMs: ms(s.b.now().Sub(start))})
	if status >= http.StatusInternalServerError {
		s.b.log.WarnContext(ctx, "gRPC call failed", "xRequestId", r.id, "route", r.res.Route.ID, "service", service, "status", status)
	}
	resp := proxyResponse(&backendResponse{status: status, header: header, body: body})
	return &resp
}
