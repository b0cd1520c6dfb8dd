package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// DashboardPath is the composite endpoint that merges a user's profile, recent
// orders and unread notifications.
const DashboardPath = "/user-dashboard"

// part is one backend call of a composite endpoint.
type part struct {
	key     string // field of the merged object
	service string
	path    string
	query   url.Values
}

// dashboard calls the three services in parallel and merges their JSON answers
// into {"user": …, "orders": …, "notifications": …}. Any failed part fails the
// whole answer with 502 (or 504 on a timeout) naming the service.
func (h *Handler) dashboard(ctx context.Context, req *request) events.APIGatewayProxyResponse {
	if req.method != http.MethodGet {
		resp := errorResponse(http.StatusMethodNotAllowed, "Method not allowed", req.id)
		resp.MultiValueHeaders["Allow"] = []string{http.MethodGet}
		return resp
	}
	uid := req.userID
	parts := []part{
		{"user", "user-service", "/users/" + url.PathEscape(uid), nil},
		{"orders", "order-service", "/orders", url.Values{"userId": {uid}, "limit": {"5"}}},
		{"notifications", "notification-service", "/notifications", url.Values{"userId": {uid}, "unread": {"true"}}},
	}
	type result struct {
		body json.RawMessage
		err  error
	}
	results := make([]result, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.call(ctx, p.service, http.MethodGet, p.path, p.query, req.header, nil, DefaultTimeout)
			switch {
			case err != nil:
				results[i].err = err
			case res.status != http.StatusOK:
				results[i].err = fmt.Errorf("status %d", res.status)
			case !json.Valid(res.body):
				results[i].err = fmt.Errorf("answer is not JSON")
			default:
				results[i].body = res.body
			}
		}()
	}
	wg.Wait()
	merged := make(map[string]json.RawMessage, len(parts))
	for i, p := range parts {
		if err := results[i].err; err != nil {
			return h.backendError(ctx, req, p.service, err)
		}
		merged[p.key] = results[i].body
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return errorResponse(http.StatusInternalServerError, "Could not merge answers", req.id)
	}
	return events.APIGatewayProxyResponse{
		StatusCode:        http.StatusOK,
		MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}},
		Body:              string(b),
	}
}
