package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
)

// addressFilter refuses a client whose address the route table's own IP
// lists deny (403), before any other step spends anything on it. The address
// is the sourceIp API Gateway gives, never a header the client sent.
type addressFilter struct {
	log *slog.Logger
}

func (s addressFilter) serve(ctx context.Context, r *request) *response {
	if r.snap == nil || r.snap.Routes == nil || !r.snap.Routes.HasIPRules() {
		return nil
	}
	if ok, why := r.snap.Routes.AllowsIP(r.clientIP); !ok {
		s.log.InfoContext(ctx, "client address refused", "xRequestId", r.id, "clientIp", r.clientIP, "why", why)
		return answer(http.StatusForbidden, "Forbidden: client address not allowed", r.id)
	}
	return nil
}

// requestRules applies the matched route's request rules: its IP lists
// (403), its body size limit (413, before any backend call) and its request
// header rules, which change what the backend receives and never a header
// the gateway owns (the route table refuses such rules).
type requestRules struct {
	log *slog.Logger
}

func (s requestRules) serve(ctx context.Context, r *request) *response {
	res := r.res
	if ok, why := res.AllowsIP(r.clientIP); !ok {
		s.log.InfoContext(ctx, "client address refused by the route", "xRequestId", r.id, "route", res.Route.ID, "clientIp", r.clientIP, "why", why)
		return answer(http.StatusForbidden, "Forbidden: client address not allowed", r.id)
	}
	if max := res.MaxBodyBytes(); max > 0 && int64(len(r.body)) > max {
		return answer(http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body too large: limit %d bytes", max), r.id)
	}
	res.RequestHeaders().Apply(r.header)
	return nil
}

// responseRules applies the matched route's response header rules to what
// its backend step answers: an allow-list of the backend's headers, then
// remove, set and add. The gateway's own headers (X-Request-Id, the
// rate-limit fields) are added after them, in respond.
type responseRules struct {
	next step
}

func (s responseRules) serve(ctx context.Context, r *request) *response {
	resp := s.next.serve(ctx, r)
	if resp == nil || r.res.Route == nil {
		return resp
	}
	if ops := r.res.ResponseHeaders(); ops != nil {
		if resp.MultiValueHeaders == nil {
			resp.MultiValueHeaders = map[string][]string{}
		}
		ops.Apply(http.Header(resp.MultiValueHeaders))
	}
	return resp
}
