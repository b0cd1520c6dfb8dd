package gateway_test

import (
	"context"
	"fmt"
	"github.com/portico-gw/portico/internal/config"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/route"
)

// backend answers like a service that echoes what reached it.
type backend struct{}

func (backend) RoundTrip(r *http.Request) (*http.Response, error) {
	body := fmt.Sprintf(`{"service":%q,"path":%q,"user":%q}`, r.URL.Host, r.URL.Path, r.Header.Get("X-User-Id"))
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
}

func Example() {
	tbl, err := route.Parse([]byte(`{"version": 1, "routes": [
	  {"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "stripPrefix": "/api/v1"}
	]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := gateway.New(gateway.Config{Configuration: config.Fixed(tbl, nil), Transport: backend{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := events.APIGatewayProxyRequest{
		HTTPMethod:        "GET",
		Path:              "/api/v1/users/123",
		MultiValueHeaders: map[string][]string{"X-User-Id": {"admin"}}, // stripped: only the authorizer says who calls
		RequestContext: events.APIGatewayProxyRequestContext{
			Authorizer: map[string]any{"userId": "alice", "roles": "reader", "exp": float64(time.Now().Add(time.Hour).Unix())},
		},
	}
	resp, _ := h.Handle(context.Background(), ev)
	fmt.Println(resp.StatusCode, resp.Body)
	ev.HTTPMethod, ev.Path = "GET", "/admin"
	resp, _ = h.Handle(context.Background(), ev)
	fmt.Println(resp.StatusCode)
	// Output:
	// 200 {"service":"user-service","path":"/users/123","user":"alice"}
	// 404
}
