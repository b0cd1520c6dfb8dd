package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/portico-gw/portico/internal/cors"
)

// respond finishes every answer, whichever step gave it: the admitting
// rate-limit decision's RateLimit-* headers, X-Request-Id, the CORS headers,
// the cap on the answer's serialised size, and the access log and metric
// lines.
func (h *Handler) respond(ctx context.Context, r *request, resp response) response {
	if resp.MultiValueHeaders == nil {
		resp.MultiValueHeaders = map[string][]string{}
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		switch {
		case r.snap == nil || r.snap.Limits == nil || r.log.limit != "":
		case r.decided.Limit == 0:
			r.log.limit = "none" // no rule applies
		default:
			r.log.limit = "allowed"
			if r.decided.Degraded {
				r.log.limit = "degraded"
			}
			maps.Copy(resp.MultiValueHeaders, rateLimitHeaders(r.decided, r.applied, h.cfg.Now()))
		}
	}
	resp.MultiValueHeaders["X-Request-Id"] = []string{r.id}
	if n, ok := fits(resp, h.cfg.MaxResponseBytes); !ok {
		h.log.WarnContext(ctx, "answer too large for Lambda", "xRequestId", r.id, "route", r.log.route,
			"status", resp.StatusCode, "bytes", n, "limit", h.cfg.MaxResponseBytes)
		resp = errorResponse(http.StatusBadGateway, fmt.Sprintf("Response too large: %d bytes as Lambda would send it, "+
			"over the gateway's limit of %d bytes (Lambda's response payload limit is 6 MB)", n, h.cfg.MaxResponseBytes), r.id)
		resp.MultiValueHeaders["X-Request-Id"] = []string{r.id}
	}
	h.corsHeaders(r, resp.MultiValueHeaders)
	h.observe(ctx, r, resp.StatusCode, h.cfg.Now().Sub(r.start))
	return resp
}

// corsHeaders applies the CORS policy to an answer's headers: the
// Access-Control-* headers a backend sent are dropped, and an allowed
// origin's get the policy's (a preflight's answer already has them).
func (h *Handler) corsHeaders(r *request, header map[string][]string) {
	p := h.cfg.CORS
	if p == nil || r.preflight {
		return
	}
	for k := range header {
		if cors.IsCORSHeader(k) {
			delete(header, k)
		}
	}
	for k, vs := range p.Actual(r.origin) {
		if k == "Vary" {
			header[k] = mergeVary(header[k], vs)
			continue
		}
		header[k] = vs
	}
}

// mergeVary adds the names of add to a Vary header's values.
func mergeVary(have, add []string) []string {
	seen := map[string]bool{}
	for _, v := range have {
		for _, name := range strings.Split(v, ",") {
			seen[strings.ToLower(strings.TrimSpace(name))] = true
		}
	}
	out := have
	for _, v := range add {
		if !seen[strings.ToLower(v)] {
			out = append(out, v)
		}
	}
	return out
}

// fits reports whether resp, serialised as Lambda sends it to API Gateway,
// is at most limit bytes, and its size when it is not. A cheap upper bound
// (every byte escaped as \u00XX) spares the encoding of all but large answers.
func fits(resp response, limit int) (int, bool) {
	bound := 256 + 6*len(resp.Body)
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			bound += 6 * (len(k) + len(v) + 8)
		}
	}
	for k, v := range resp.Headers {
		bound += 6 * (len(k) + len(v) + 8)
	}
	if bound <= limit {
		return bound, true
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return 0, false
	}
	return len(b), len(b) <= limit
}

// proxyResponse turns a backend answer into a proxy response. Headers go
// through responseHeaders. The body is base64 (isBase64Encoded) exactly when
// it is not UTF-8 text or carries a Content-Encoding: API Gateway, whose
// binary media types are */*, gives the client those bytes back, where a
// compressed body sent as text would be mangled.
func proxyResponse(res *backendResponse) response {
	out := response{StatusCode: res.status, MultiValueHeaders: responseHeaders(res.header)}
	if utf8.Valid(res.body) && res.header.Get("Content-Encoding") == "" {
		out.Body = string(res.body)
	} else {
		out.Body = base64.StdEncoding.EncodeToString(res.body)
		out.IsBase64Encoded = true
	}
	return out
}

// errorBody is the gateway's own JSON answer.
type errorBody struct {
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
	// Call and Service name the failed call of a composite route.
	Call    string `json:"call,omitempty"`
	Service string `json:"service,omitempty"`
}

// errorResponse is the gateway's own answer: JSON with a message and the
// request ID.
func errorResponse(status int, message, requestID string) response {
	return jsonResponse(status, errorBody{Message: message, RequestID: requestID})
}

// answer is errorResponse for a step that ends the request.
func answer(status int, message, requestID string) *response {
	resp := errorResponse(status, message, requestID)
	return &resp
}

func jsonResponse(status int, v any) response {
	b, _ := json.Marshal(v)
	return response{
		StatusCode:        status,
		MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		Body:              string(b),
	}
}
