package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"unicode/utf8"
)

// respond finishes every answer, whichever step gave it: the admitting
// rate-limit decision's RateLimit-* headers, X-Request-Id, and the access log
// and metric lines.
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
	h.observe(ctx, r, resp.StatusCode, h.cfg.Now().Sub(r.start))
	return resp
}

// proxyResponse turns a backend answer into a proxy response. Headers go
// through responseHeaders; the body is base64 when it is not UTF-8 text.
func proxyResponse(res *backendResponse) response {
	out := response{StatusCode: res.status, MultiValueHeaders: responseHeaders(res.header)}
	if utf8.Valid(res.body) {
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
