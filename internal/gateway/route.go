package gateway

import (
	"context"
	"net/http"
	"strings"
)

// routeStep finds the request's route in the snapshot's route table: 503
// while no configuration has loaded, 405 with Allow when routes own the path
// but not the method, 404 when none does. The route decides whether a client's
// X-Request-Id (a UUID) is kept.
type routeStep struct{}

func (routeStep) serve(_ context.Context, r *request) *response {
	if r.snap == nil {
		return answer(http.StatusServiceUnavailable, "Configuration not loaded", r.id)
	}
	r.res = r.snap.Routes.Lookup(r.method, r.path, r.header)
	if r.res.Route == nil {
		if len(r.res.Allow) > 0 {
			resp := answer(http.StatusMethodNotAllowed, "Method "+r.method+" not allowed on "+r.path, r.id)
			resp.MultiValueHeaders["Allow"] = []string{strings.Join(r.res.Allow, ", ")}
			return resp
		}
		return answer(http.StatusNotFound, "No route for "+r.path, r.id)
	}
	r.log.route = r.res.Route.ID
	if r.res.Route.AllowClientRequestID && r.validClientID {
		r.id = r.clientID
	}
	return nil
}
