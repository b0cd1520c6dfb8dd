package gateway

import (
	"context"
	"net/http"
	"strings"

	"github.com/portico-gw/portico/internal/cors"
)

// preflight answers a browser's CORS preflight (OPTIONS with Origin and
// Access-Control-Request-Method) from the CORS policy, before the identity is
// looked for: a preflight carries no credentials, so API Gateway sends it to
// the aggregator without the authorizer (portico_api's OPTIONS methods). An
// allowed one gets 204 with the policy's headers, any other 403 without a
// CORS header, so the page's request fails in the browser. A preflight never
// reaches a backend. Without a policy, or for any other request, the request
// goes on (an OPTIONS request without an identity then gets 401).
type preflight struct {
	policy *cors.Policy
}

func (s preflight) serve(_ context.Context, r *request) *response {
	if s.policy == nil || !cors.IsPreflight(r.method, r.header) {
		return nil
	}
	r.preflight = true
	r.log.route = "preflight"
	h, ok := s.policy.Preflight(r.header.Get("Origin"), r.header.Get("Access-Control-Request-Method"),
		strings.Join(r.header.Values("Access-Control-Request-Headers"), ","))
	if !ok {
		resp := answer(http.StatusForbidden, "CORS preflight refused: this origin, method or header is not allowed", r.id)
		resp.MultiValueHeaders["Vary"] = h.Values("Vary")
		return resp
	}
	return &response{StatusCode: http.StatusNoContent, MultiValueHeaders: h}
}
