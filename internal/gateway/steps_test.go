package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// Each step of the pipeline on its own: what it answers, and what it leaves
// in the request for the steps after it.

func newRequest(ev events.APIGatewayProxyRequest) *request {
	return &request{ev: &ev, id: "req-1", method: ev.HTTPMethod, clientIP: ev.RequestContext.Identity.SourceIP, start: testNow}
}

func status(resp *response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

func TestStepClean(t *testing.T) {
	s := clean{maxBody: 10, maxQuery: 2}
	tests := []struct {
		name string
		ev   func(*events.APIGatewayProxyRequest)
		want int
	}{
		{"clean request passes", func(*events.APIGatewayProxyRequest) {}, 0},
		{"encoded slash", func(ev *events.APIGatewayProxyRequest) { ev.Path = "/a%2Fb" }, 400},
		{"too many query values", func(ev *events.APIGatewayProxyRequest) {
			ev.MultiValueQueryStringParameters = map[string][]string{"a": {"1", "2", "3"}}
		}, 400},
		{"body over the cap", func(ev *events.APIGatewayProxyRequest) { ev.Body = strings.Repeat("x", 11) }, 413},
		{"body not base64", func(ev *events.APIGatewayProxyRequest) { ev.Body, ev.IsBase64Encoded = "!!", true }, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event("POST", "/api/v1/users/../users/1", map[string][]string{"X_User_Id": {"root"}, "Accept": {"a"}})
			tt.ev(&ev)
			r := newRequest(ev)
			if got := status(s.serve(context.Background(), r)); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
			if tt.want == 0 && (r.path != "/api/v1/users/1" || r.header.Get("Accept") != "a" || len(r.header) != 1) {
				t.Fatalf("got path %q headers %v, want the cleaned path and only Accept", r.path, r.header)
			}
		})
	}
}

func TestStepIdentify(t *testing.T) {
	s := identify{now: func() time.Time { return testNow }}
	ev := event("GET", "/", nil)
	r := newRequest(ev)
	if resp := s.serve(context.Background(), r); resp != nil || r.ident.userID != "user-123" || len(r.ident.roles) != 2 {
		t.Fatalf("got %v identity %+v, want user-123 with two roles", resp, r.ident)
	}
	ev.RequestContext.Authorizer["exp"] = float64(testNow.Unix())
	if got := status(s.serve(context.Background(), newRequest(ev))); got != 401 {
		t.Fatalf("expired: got %d, want 401", got)
	}
}

func TestStepLimit(t *testing.T) {
	set := testSet(t, `{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":1,"window":"1m"},{"name":"search","dimension":"endpoint","route":"/s","requests":5,"window":"1m"}]}`)
	network := limit{dims: ratelimit.NetworkDimensions, now: func() time.Time { return testNow }, log: slog.New(slog.DiscardHandler)}
	r := newRequest(event("GET", "/s", nil))
	r.path, r.ident.userID = "/s", "user-123"
	if resp := network.serve(context.Background(), r); resp != nil {
		t.Fatalf("no snapshot: got %d, want the request passed on", resp.StatusCode)
	}
	r.snap = config.Fixed(nil, set)
	if resp := network.serve(context.Background(), r); resp != nil || r.decided.Name != "ip" {
		t.Fatalf("got %v decided %+v, want the ip rule's admission only (network dimensions)", resp, r.decided)
	}
	if resp := network.serve(context.Background(), r); status(resp) != 429 || resp.MultiValueHeaders["Retry-After"] == nil {
		t.Fatalf("over the limit: got %v, want 429 with Retry-After", resp)
	}
	down := limit{dims: ratelimit.NetworkDimensions, now: func() time.Time { return testNow }, log: slog.New(slog.DiscardHandler)}
	r2 := newRequest(event("GET", "/s", nil))
	r2.snap = config.Fixed(nil, failingLimits(t))
	if got := status(down.serve(context.Background(), r2)); got != 503 {
		t.Fatalf("store down, fail closed: got %d, want 503", got)
	}
}

func TestStepResolveKey(t *testing.T) {
	set := testSet(t, `{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":10,"window":"1m"}]}`)
	s := resolveKey{keys: fakeKeys{}, log: slog.New(slog.DiscardHandler)}
	req := func(key string) *request {
		r := newRequest(event("GET", "/", map[string][]string{"X-Api-Key": {key}}))
		r.snap = config.Fixed(nil, set)
		r.limit = ratelimit.Request{IP: r.clientIP}
		return r
	}
	r := req("key-pro")
	if resp := s.serve(context.Background(), r); resp != nil || r.ident.tier != "pro" || r.limit.APIKey != "bbbb" {
		t.Fatalf("known key: got %v tier %q key %q, want pro and bbbb", resp, r.ident.tier, r.limit.APIKey)
	}
	if got := status(s.serve(context.Background(), req("nope"))); got != 403 {
		t.Fatalf("unknown key: got %d, want 403", got)
	}
	// The failed lookup cost the IP a request of its own.
	if d, _ := set.Allow(context.Background(), ratelimit.Request{IP: "203.0.113.7"}); d.Remaining != 8 {
		t.Fatalf("got %d remaining, want 8 (the failed lookup counted)", d.Remaining)
	}
	down := resolveKey{keys: fakeKeys{down: true}, log: slog.New(slog.DiscardHandler)}
	if got := status(down.serve(context.Background(), req("key-pro"))); got != 503 {
		t.Fatalf("store down: got %d, want 503", got)
	}
}

func TestStepRouteAndAuthorise(t *testing.T) {
	tbl, err := route.Parse([]byte(`{"version": 1, "routes": [
		{"id": "users", "match": {"pathPrefix": "/users", "methods": ["GET", "DELETE"]}, "service": "user-service",
		 "headerRoutes": {"anyRole": ["tester"]}}],
		"permissions": [{"path": "/users", "methods": ["DELETE"], "anyRole": ["admin"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, roles string
		snap                      bool
		want                      int
		headerRoutes              bool
	}{
		{"no configuration", "GET", "/users/1", "", false, 503, false},
		{"no route", "GET", "/orders", "", true, 404, false},
		{"method not served", "POST", "/users/1", "", true, 405, false},
		{"permission missing", "DELETE", "/users/1", "reader", true, 403, false},
		{"permission held", "DELETE", "/users/1", "admin", true, 0, false},
		{"tester may use header routes", "GET", "/users/1", "tester", true, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(event(tt.method, tt.path, nil))
			r.path, r.header = tt.path, http.Header{}
			r.ident.roles = strings.Split(tt.roles, ",")
			if tt.snap {
				r.snap = config.Fixed(tbl, nil)
			}
			resp := routeStep{}.serve(context.Background(), r)
			if resp == nil {
				resp = authorise{}.serve(context.Background(), r)
			}
			if got := status(resp); got != tt.want || r.headerRoutes != tt.headerRoutes {
				t.Fatalf("got %d (header routes %v), want %d (%v)", got, r.headerRoutes, tt.want, tt.headerRoutes)
			}
			if tt.want == 405 && resp.MultiValueHeaders["Allow"][0] != "DELETE, GET" {
				t.Fatalf("got Allow %q, want DELETE, GET", resp.MultiValueHeaders["Allow"])
			}
		})
	}
}

func TestStepEnrich(t *testing.T) {
	r := &request{id: "req-1", clientIP: "203.0.113.7", start: testNow, trace: "Root=1-5759e988-bd862e3fe1be46a994272793",
		header: http.Header{"Accept": {"a"}},
		ident:  identity{userID: "u", roles: []string{"r"}, tier: "pro", claims: map[string]string{"Email": "e@x", "Id": "spoofed"}}}
	enrich{}.serve(context.Background(), r)
	want := map[string]string{"X-User-Id": "u", "X-User-Roles": "r", "X-User-Tier": "pro", "X-User-Email": "e@x",
		"X-Request-Id": "req-1", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "Accept": "a",
		"X-Amzn-Trace-Id": r.trace}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
}

// The headers a service's policy routes on reach it only from callers the
// route lets choose a version.
func TestHeadersForServicePolicyRoutes(t *testing.T) {
	src := &live.Memory{}
	src.Put(statetable.RoutesKey, []byte(`{"version":1,"routes":[{"id":"u","match":{"pathPrefix":"/u"},"service":"user-service"}]}`))
	src.Put(statetable.PolicyKey("user-service"), []byte(`{"routes":[{"header":"X-Test-User","value":"true","version":"v2"}]}`))
	snap, err := config.NewBuilder(config.SnapshotConfig{}).Build(context.Background(), src, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, allowed := range []bool{false, true} {
		r := &request{snap: snap, headerRoutes: allowed, header: http.Header{"X-Test-User": {"true"}, "X_test_user": {"true"}, "Accept": {"a"}}}
		h := headersFor(r, "user-service", true)
		if _, kept := h["X-Test-User"]; kept != allowed || (!allowed && len(h) != 1) {
			t.Errorf("allowed=%v: got %v", allowed, h)
		}
		if len(r.header) != 3 {
			t.Errorf("allowed=%v: the request's own headers changed: %v", allowed, r.header)
		}
	}
}

func TestStepPreflight(t *testing.T) {
	preflightHeaders := map[string][]string{"Origin": {"https://app.portico.local"}, "Access-Control-Request-Method": {"GET"}}
	tests := []struct {
		name   string
		policy bool
		method string
		header map[string][]string
		want   int
	}{
		{"preflight answered", true, "OPTIONS", preflightHeaders, 204},
		{"no policy: goes on", false, "OPTIONS", preflightHeaders, 0},
		{"not a preflight: goes on", true, "OPTIONS", map[string][]string{"Origin": {"https://app.portico.local"}}, 0},
		{"GET: goes on", true, "GET", preflightHeaders, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := preflight{}
			if tt.policy {
				s.policy = demoCORS
			}
			r := newRequest(event(tt.method, "/api/v1/users/1", nil))
			r.header = http.Header(tt.header)
			if got := status(s.serve(context.Background(), r)); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
			if r.preflight != (tt.want != 0) {
				t.Fatalf("got preflight %v, want %v", r.preflight, tt.want != 0)
			}
		})
	}
}
