package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/portico-gw/portico/internal/config"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/apikey"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// services routes http://<service>/ requests to in-process handlers, standing in
// for the mesh client.
type services map[string]http.Handler

func (s services) RoundTrip(r *http.Request) (*http.Response, error) {
	h, ok := s[r.URL.Host]
	if !ok {
		return nil, fmt.Errorf("no instances of %s", r.URL.Host)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	out := r.Clone(r.Context())
	out.URL.Host = u.Host
	res, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(strings.NewReader(string(b)))
	return res, nil
}

// echo answers with what it received, like the demo backends.
type seen struct {
	Service string              `json:"service"`
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

func echo(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Connection", "close")
		json.NewEncoder(w).Encode(seen{name, r.Method, r.URL.Path, r.URL.RawQuery, r.Header, string(b)})
	})
}

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// testRoutes is the demo's route table (terraform/local writes the same).
const testRoutes = `{
  "version": 1,
  "routes": [
    {"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "stripPrefix": "/api/v1"},
    {"id": "users-v2", "match": {"pathPrefix": "/api/v1/users", "version": "2"}, "service": "api-v2-service", "stripPrefix": "/api/v1"},
    {"id": "products", "match": {"pathPrefix": "/api/v1/products", "methods": ["GET"]}, "service": "product-service", "stripPrefix": "/api/v1"},
    {"id": "products-fr", "match": {"pathPrefix": "/api/v1/products", "methods": ["GET"], "headers": [{"name": "Accept-Language", "prefix": "fr"}]},
     "service": "french-content-service", "stripPrefix": "/api/v1"},
    {"id": "orders", "match": {"pathPrefix": "/api/v1/orders"}, "service": "order-service", "stripPrefix": "/api/v1", "timeout": "30s"},
    {"id": "notifications", "match": {"pathPrefix": "/api/v1/notifications"}, "service": "notification-service", "stripPrefix": "/api/v1"},
    {"id": "v2", "match": {"pathPrefix": "/api/v2"}, "service": "api-v2-service", "stripPrefix": "/api/v2"},
    {"id": "echo-id", "match": {"pathPrefix": "/api/v1/trace"}, "service": "user-service", "allowClientRequestId": true},
    {"id": "dashboard", "match": {"path": "/user-dashboard"}, "timeout": "10s", "allowClientRequestId": true,
     "composite": {"calls": [
       {"key": "user", "service": "user-service", "path": "/users/{userId}"},
       {"key": "orders", "service": "order-service", "path": "/orders?userId={userId}&limit=5", "optional": true},
       {"key": "notifications", "service": "notification-service", "path": "/notifications?userId={userId}&unread=true", "optional": true}
     ]}}
  ]
}`

func testTable(t testing.TB) *route.Table {
	t.Helper()
	tbl, err := route.Parse([]byte(testRoutes))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// withPermissions returns the test route table with perms (a JSON array) as
// its permissions.
func withPermissions(t testing.TB, perms string) *route.Table {
	t.Helper()
	doc := strings.Replace(testRoutes, `"version": 1,`, `"version": 1, "permissions": `+perms+`,`, 1)
	tbl, err := route.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func newHandler(t *testing.T, svcs services, lim *ratelimit.Set) *Handler {
	t.Helper()
	h, err := New(Config{
		Configuration: config.Fixed(testTable(t), lim),
		Transport:     svcs,
		Now:           func() time.Time { return testNow },
		NewID:         func() string { return "11111111-2222-4333-8444-555555555555" },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func event(method, path string, headers map[string][]string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		HTTPMethod:        method,
		Path:              path,
		MultiValueHeaders: headers,
		RequestContext: events.APIGatewayProxyRequestContext{
			Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7"},
			Authorizer: map[string]any{
				"userId": "user-123", "roles": "admin,reader", "exp": float64(testNow.Add(time.Hour).Unix()),
			},
		},
	}
}

// metaBody is the _meta part of a composite answer.
type metaBody struct {
	Meta map[string]map[string]any `json:"_meta"`
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("got body %q, want JSON: %v", body, err)
	}
	return v
}

func TestProxyStripsPrefixAndSanitizesHeaders(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	ev := event("GET", "/api/v1/users/123", map[string][]string{
		"X-User-ID":         {"admin"},
		"X-User-Roles":      {"superuser"},
		"X-User-Email":      {"evil@example.com"},
		"X-Forwarded-For":   {"10.0.0.1"},
		"X-Request-ID":      {"spoofed"},
		"Authorization":     {"Bearer secret-token"},
		"Connection":        {"X-User-ID, X-Custom"},
		"X-Custom":          {"hop"},
		"Accept":            {"application/json"},
		"X-Amzn-Trace-Id":   {"Root=1-5759e988-bd862e3fe1be46a994272793"},
		"Transfer-Encoding": {"chunked"},
	})
	ev.MultiValueQueryStringParameters = map[string][]string{"a": {"1", "2"}}
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != 200 {
		t.Fatalf("got status %d body %s, want 200", resp.StatusCode, resp.Body)
	}
	got := decode[seen](t, resp.Body)
	if got.Service != "user-service" || got.Path != "/users/123" || got.Query != "a=1&a=2" {
		t.Fatalf("got %s %s?%s, want user-service /users/123?a=1&a=2", got.Service, got.Path, got.Query)
	}
	wantHeaders := map[string]string{
		"X-User-Id":       "user-123",
		"X-User-Roles":    "admin,reader",
		"X-Forwarded-For": "203.0.113.7",
		"X-Request-Id":    "11111111-2222-4333-8444-555555555555",
		"X-Request-Start": fmt.Sprintf("t=%d", testNow.UnixMilli()),
		"Accept":          "application/json",
		"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793",
	}
	for k, want := range wantHeaders {
		if v := got.Headers[k]; len(v) != 1 || v[0] != want {
			t.Errorf("header %s: got %q, want [%q]", k, v, want)
		}
	}
	for _, k := range []string{"Authorization", "X-User-Email", "X-Custom", "Connection"} {
		if v, ok := got.Headers[k]; ok {
			t.Errorf("header %s: got %q, want it stripped", k, v)
		}
	}
	if resp.MultiValueHeaders["X-Request-Id"][0] != "11111111-2222-4333-8444-555555555555" {
		t.Errorf("response X-Request-Id: got %q", resp.MultiValueHeaders["X-Request-Id"])
	}
	if _, ok := resp.MultiValueHeaders["Connection"]; ok {
		t.Errorf("backend's Connection header reached the client")
	}
}

func TestRoutingAnswers(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service"), "order-service": echo("order-service"), "product-service": echo("product-service")}, nil)
	tests := []struct {
		name, path string
		status     int
		service    string
		backend    string
	}{
		{"prefix itself", "/api/v1/users", 200, "user-service", "/users"},
		{"dot-dot cleaned before matching", "/api/v1/users/../orders/9", 200, "order-service", "/orders/9"},
		{"double slash cleaned", "//api/v1//users/1/", 200, "user-service", "/users/1"},
		{"segment boundary", "/api/v1/usersX", 404, "", ""},
		{"no route", "/admin", 404, "", ""},
		{"encoded dots decoded, then cleaned like plain ones", "/api/v1/users/%2e%2e/orders", 200, "order-service", "/orders"},
		{"encoded dots cannot climb out of the strip prefix", "/api/v1/users/%2e%2e/%2e%2e/%2e%2e/admin", 404, "", ""},
		{"trailing slash", "/api/v1/products/", 200, "product-service", "/products"},
		{"case differences", "/API/V1/users/1", 404, "", ""},
		{"percent-encoded letters", "/api/v1/%75sers/1", 200, "user-service", "/users/1"},
		{"encoded percent (double encoding)", "/api/v1/users/%252e%252e/orders", 400, "", ""},
		{"encoded backslash", "/api/v1/users/..%5corders", 400, "", ""},
		{"encoded semicolon", "/api/v1/users%3bx=1", 400, "", ""},
		{"encoded NUL", "/api/v1/users/1%00", 400, "", ""},
		{"encoded slash", "/api/v1/users%2f..%2forders", 400, "", ""},
		{"semicolon parameter", "/api/v1/users;x=1/1", 400, "", ""},
		{"backslash", "/api/v1/users\\..\\orders", 400, "", ""},
		{"no instances", "/api/v1/notifications/1", 502, "", ""},
		{"version routing by path", "/api/v2/users/1", 502, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := h.Handle(context.Background(), event("GET", tt.path, nil))
			if resp.StatusCode != tt.status {
				t.Fatalf("got status %d (%s), want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if tt.service == "" {
				body := decode[map[string]string](t, resp.Body)
				if body["message"] == "" || body["requestId"] == "" {
					t.Fatalf("got body %s, want a JSON message and requestId", resp.Body)
				}
				return
			}
			got := decode[seen](t, resp.Body)
			if got.Service != tt.service || got.Path != tt.backend {
				t.Fatalf("got %s %s, want %s %s", got.Service, got.Path, tt.service, tt.backend)
			}
		})
	}
}

func TestIdentityRequired(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	ev := event("GET", "/api/v1/users/1", nil)
	ev.RequestContext.Authorizer = nil
	if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 401 {
		t.Fatalf("no authorizer context: got %d, want 401", resp.StatusCode)
	}
	ev = event("GET", "/api/v1/users/1", nil)
	ev.RequestContext.Authorizer["exp"] = fmt.Sprint(testNow.Unix()) // as a string, expiring now
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != 401 || decode[map[string]string](t, resp.Body)["message"] != "Token expired" {
		t.Fatalf("cached Allow past exp: got %d %s, want 401 Token expired", resp.StatusCode, resp.Body)
	}
}

// The three calls run at once: each backend waits until all three arrived,
// which sequential calls never would.
func TestDashboardMergesInParallel(t *testing.T) {
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{})
	barrier := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if arrived++; arrived == 3 {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
				echo(name).ServeHTTP(w, r)
			case <-r.Context().Done():
			}
		})
	}
	h := newHandler(t, services{
		"user-service": barrier("user-service"), "order-service": barrier("order-service"), "notification-service": barrier("notification-service"),
	}, nil)
	resp, _ := h.Handle(context.Background(), event("GET", "/user-dashboard", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s, want 200", resp.StatusCode, resp.Body)
	}
	got := decode[map[string]seen](t, resp.Body)
	want := map[string]string{"user": "/users/user-123", "orders": "/orders", "notifications": "/notifications"}
	for k, p := range want {
		if got[k].Path != p || got[k].Headers["X-User-Id"][0] != "user-123" {
			t.Errorf("%s: got path %q user %q, want %q user-123", k, got[k].Path, got[k].Headers["X-User-Id"], p)
		}
	}
	if got["orders"].Query != "userId=user-123&limit=5" {
		t.Errorf("orders query: got %q, want userId=user-123&limit=5", got["orders"].Query)
	}
	meta := decode[metaBody](t, resp.Body).Meta
	for _, k := range []string{"user", "orders", "notifications"} {
		if meta[k]["status"] != float64(200) || meta[k]["error"] != nil {
			t.Errorf("_meta.%s: got %v, want status 200 and no error", k, meta[k])
		}
	}
}

func TestDashboardPartialResults(t *testing.T) {
	failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 503) })
	notJSON := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) })
	tests := []struct {
		name          string
		svcs          services
		status        int
		nullKey       string
		metaStatus    float64
		failedCall    string
		failedService string
	}{
		{"optional call fails", services{"user-service": echo("u"), "order-service": failing, "notification-service": echo("n")}, 200, "orders", 503, "", ""},
		{"optional call answers no JSON", services{"user-service": echo("u"), "order-service": echo("o"), "notification-service": notJSON}, 200, "notifications", 502, "", ""},
		{"optional service has no instances", services{"user-service": echo("u"), "order-service": echo("o")}, 200, "notifications", 502, "", ""},
		{"required call fails", services{"user-service": failing, "order-service": echo("o"), "notification-service": echo("n")}, 502, "", 0, "user", "user-service"},
		{"required service has no instances", services{"order-service": echo("o"), "notification-service": echo("n")}, 502, "", 0, "user", "user-service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, tt.svcs, nil)
			resp, _ := h.Handle(context.Background(), event("GET", "/user-dashboard", nil))
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if tt.status != 200 {
				body := decode[map[string]string](t, resp.Body)
				if body["call"] != tt.failedCall || body["service"] != tt.failedService || body["requestId"] == "" {
					t.Fatalf("got %s, want a JSON error naming call %q of %s", resp.Body, tt.failedCall, tt.failedService)
				}
				return
			}
			got := decode[map[string]json.RawMessage](t, resp.Body)
			if string(got[tt.nullKey]) != "null" {
				t.Errorf("%s: got %s, want null", tt.nullKey, got[tt.nullKey])
			}
			if string(got["user"]) == "null" {
				t.Errorf("user: got null, want the user-service answer")
			}
			meta := decode[metaBody](t, resp.Body).Meta[tt.nullKey]
			if meta["status"] != tt.metaStatus || meta["error"] == nil || meta["latencyMs"] == nil {
				t.Errorf("_meta.%s: got %v, want status %v, an error and a latency", tt.nullKey, meta, tt.metaStatus)
			}
		})
	}
}

// Once a required call fails the answer is decided: the calls still running
// are cancelled rather than waited for.
func TestDashboardCancelsSlowCalls(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(cancelled)
	})
	failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-started // fail once the slow call is under way
		http.Error(w, "down", 503)
	})
	h := newHandler(t, services{"user-service": failing, "order-service": slow, "notification-service": echo("n")}, nil)
	resp, _ := h.Handle(context.Background(), event("GET", "/user-dashboard", nil))
	if resp.StatusCode != 502 {
		t.Fatalf("got %d %s, want 502", resp.StatusCode, resp.Body)
	}
	<-cancelled // the slow optional call saw its request cancelled
	resp, _ = h.Handle(context.Background(), event("POST", "/user-dashboard", nil))
	if resp.StatusCode != 405 || resp.MultiValueHeaders["Allow"][0] != "GET" {
		t.Fatalf("POST: got %d %v, want 405 with Allow: GET", resp.StatusCode, resp.MultiValueHeaders)
	}
}

// A call that outlives its timeout is a 504: in _meta for an optional call.
func TestDashboardCallTimeout(t *testing.T) {
	tbl, err := route.Parse([]byte(`{"version":1,"routes":[{"id":"d","match":{"path":"/d"},"composite":{"calls":[
		{"key":"fast","service":"user-service","path":"/u"},
		{"key":"slow","service":"order-service","path":"/o","timeout":"1ms","optional":true}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	block := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	h, err := New(Config{Configuration: config.Fixed(tbl, nil), Transport: services{"user-service": echo("u"), "order-service": block},
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := h.Handle(context.Background(), event("GET", "/d", nil))
	meta := decode[metaBody](t, resp.Body).Meta
	if resp.StatusCode != 200 || meta["slow"]["status"] != float64(504) || meta["fast"]["status"] != float64(200) {
		t.Fatalf("got %d %s, want 200 with _meta.slow.status 504", resp.StatusCode, resp.Body)
	}
}

func TestBackendTimeout(t *testing.T) {
	block := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	h := newHandler(t, services{"user-service": block}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	resp, _ := h.Handle(ctx, event("GET", "/api/v1/users/1", nil))
	if resp.StatusCode != 504 {
		t.Fatalf("got %d %s, want 504 when the deadline passes", resp.StatusCode, resp.Body)
	}
}

func TestBodies(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	ev := event("POST", "/api/v1/users", nil)
	ev.Body, ev.IsBase64Encoded = "aGVsbG8=", true
	resp, _ := h.Handle(context.Background(), ev)
	if got := decode[seen](t, resp.Body); got.Body != "hello" || got.Method != "POST" {
		t.Fatalf("got %s %q, want POST hello", got.Method, got.Body)
	}
	ev.Body = "!!!"
	if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 400 {
		t.Fatalf("bad base64: got %d, want 400", resp.StatusCode)
	}
	ev.Body, ev.IsBase64Encoded = strings.Repeat("x", 5<<20+1), false
	if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 413 {
		t.Fatalf("oversized body: got %d, want 413", resp.StatusCode)
	}
}

// downStore fails every call, as DynamoDB does when it is throttled or down.
type downStore struct{}

func (downStore) Add(context.Context, string, int64, int64, time.Time) (int64, int64, error) {
	return 0, 0, errors.New("throttled")
}

func (downStore) Count(context.Context, string) (int64, error) { return 0, errors.New("throttled") }

// failingLimits is a fail-closed per-IP limit whose store is down.
func failingLimits(t *testing.T) *ratelimit.Set {
	set, err := ratelimit.NewSet(downStore{}, []ratelimit.Rule{{Dimension: ratelimit.IP,
		Limit: ratelimit.Config{Name: "ip", Requests: 10, Window: time.Minute, Retry: ratelimit.Retry{Attempts: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// fakeKeys resolves two keys.
type fakeKeys struct{ down bool }

func (f fakeKeys) Resolve(_ context.Context, key string) (apikey.Record, error) {
	if f.down {
		return apikey.Record{}, apikey.ErrUnavailable
	}
	switch key {
	case "key-free":
		return apikey.Record{ID: "aaaa", Tier: "free", Enabled: true}, nil
	case "key-pro":
		return apikey.Record{ID: "bbbb", Tier: "pro", Enabled: true}, nil
	}
	return apikey.Record{}, apikey.ErrUnknownKey
}

func testSet(t *testing.T, doc string) *ratelimit.Set {
	t.Helper()
	rules, err := ratelimit.ParseDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return testNow }
	for i := range rules {
		rules[i].Limit.Now = clock
	}
	set, err := ratelimit.NewSet(ratelimit.NewMemory(clock), rules)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestRateLimitPerIP(t *testing.T) {
	set := testSet(t, `{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":2,"window":"1m"}]}`)
	h := newHandler(t, services{"user-service": echo("user-service")}, set)
	for i, wantRemaining := range []string{"1", "0"} {
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil))
		if resp.StatusCode != 200 || resp.MultiValueHeaders["RateLimit-Remaining"][0] != wantRemaining || resp.MultiValueHeaders["RateLimit-Limit"][0] != "2" {
			t.Fatalf("request %d: got %d %v, want 200 with %s remaining", i+1, resp.StatusCode, resp.MultiValueHeaders, wantRemaining)
		}
	}
	resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil))
	if resp.StatusCode != 429 || resp.MultiValueHeaders["Retry-After"][0] != "60" || decode[map[string]string](t, resp.Body)["message"] != "Too Many Requests" {
		t.Fatalf("over the limit: got %d %v %s, want 429 JSON with Retry-After 60", resp.StatusCode, resp.MultiValueHeaders, resp.Body)
	}
	other := event("GET", "/api/v1/users/1", nil)
	other.RequestContext.Identity.SourceIP = "198.51.100.9"
	if resp, _ := h.Handle(context.Background(), other); resp.StatusCode != 200 {
		t.Fatalf("another IP: got %d, want 200", resp.StatusCode)
	}
	h = newHandler(t, services{"user-service": echo("user-service")}, failingLimits(t))
	if resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil)); resp.StatusCode != 503 {
		t.Fatalf("fail-closed limit unavailable: got %d, want 503", resp.StatusCode)
	}
}

func TestAPIKeysAndTierLimits(t *testing.T) {
	set := testSet(t, `{"version":1,"rules":[
		{"name":"tier-free","dimension":"tier","tier":"free","requests":1,"window":"1h"},
		{"name":"tier-pro","dimension":"tier","tier":"pro","requests":5,"window":"1h"},
		{"name":"search","dimension":"endpoint","route":"/api/v1/users/search","requests":2,"window":"1m"}]}`)
	h, err := New(Config{
		Configuration: config.Fixed(testTable(t), set), Transport: services{"user-service": echo("user-service")}, APIKeys: fakeKeys{}, Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(key, path string) events.APIGatewayProxyResponse {
		resp, _ := h.Handle(context.Background(), event("GET", path, map[string][]string{"X-Api-Key": {key}, "X-Api-Key-Id": {"spoofed"}}))
		return resp
	}
	resp := call("key-free", "/api/v1/users/1")
	got := decode[seen](t, resp.Body)
	if resp.StatusCode != 200 || got.Headers["X-User-Tier"][0] != "free" || got.Headers["X-Api-Key-Id"][0] != "aaaa" {
		t.Fatalf("free key: got %d tier %q key id %q, want 200 free aaaa", resp.StatusCode, got.Headers["X-User-Tier"], got.Headers["X-Api-Key-Id"])
	}
	if _, ok := got.Headers["X-Api-Key"]; ok {
		t.Fatal("the API key itself reached the backend")
	}
	if resp := call("key-free", "/api/v1/users/1"); resp.StatusCode != 429 {
		t.Fatalf("free key, second request in the hour: got %d, want 429", resp.StatusCode)
	}
	if resp := call("key-pro", "/api/v1/users/1"); resp.StatusCode != 200 {
		t.Fatalf("pro key: got %d, want 200 (its own tier limit)", resp.StatusCode)
	}
	for i, want := range []int{200, 200, 429} {
		if resp := call("key-pro", "/api/v1/users/search"); resp.StatusCode != want {
			t.Fatalf("search %d with the pro key: got %d, want %d (2 per minute per key)", i+1, resp.StatusCode, want)
		}
	}
	if resp := call("key-pro", "/api/v1/users/2"); resp.StatusCode != 200 {
		t.Fatalf("pro key off the search endpoint: got %d, want 200", resp.StatusCode)
	}
	if resp := call("nope", "/api/v1/users/1"); resp.StatusCode != 403 || decode[map[string]string](t, resp.Body)["message"] != "Invalid API key" {
		t.Fatalf("unknown key: got %d %s, want 403 Invalid API key", resp.StatusCode, resp.Body)
	}
	if h, err = New(Config{Configuration: config.Fixed(testTable(t), set), Transport: services{"user-service": echo("user-service")},
		APIKeys: fakeKeys{down: true}, Now: func() time.Time { return testNow }}); err != nil {
		t.Fatal(err)
	}
	if resp := call("key-pro", "/api/v1/users/1"); resp.StatusCode != 503 {
		t.Fatalf("key store down: got %d, want 503", resp.StatusCode)
	}
}

func TestPermissions(t *testing.T) {
	tbl := withPermissions(t, `[
		{"path": "/api/v1/users", "methods": ["DELETE"], "anyRole": ["admin"]},
		{"path": "/api/v1/orders", "allScopes": ["orders:read"]},
		{"path": "/api/v1/orders", "methods": ["POST"], "anyRole": ["admin", "clerk"], "allScopes": ["orders:write"]}
	]`)
	h, err := New(Config{
		Configuration: config.Fixed(tbl, nil),
		Transport:     services{"user-service": echo("user-service"), "order-service": echo("order-service")},
		Now:           func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, roles, scopes string
		status                            int
	}{
		{"GET users needs nothing", "GET", "/api/v1/users/1", "reader", "", 200},
		{"DELETE users without admin", "DELETE", "/api/v1/users/1", "reader", "", 403},
		{"DELETE users with admin", "DELETE", "/api/v1/users/1", "reader,admin", "", 200},
		{"DELETE via dot-dot still checked", "DELETE", "/api/v1/x/../users/1", "reader", "", 403},
		{"orders read without scope", "GET", "/api/v1/orders/9", "admin", "", 403},
		{"orders read with scope", "GET", "/api/v1/orders/9", "", "orders:read", 200},
		{"orders POST: method rule wins over path rule", "POST", "/api/v1/orders", "clerk", "orders:write", 200},
		{"orders POST without write scope", "POST", "/api/v1/orders", "clerk", "orders:read", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event(tt.method, tt.path, nil)
			ev.RequestContext.Authorizer["roles"] = tt.roles
			ev.RequestContext.Authorizer["scopes"] = tt.scopes
			resp, _ := h.Handle(context.Background(), ev)
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, resp.Body, tt.status)
			}
			if tt.status == 403 && !strings.Contains(decode[map[string]string](t, resp.Body)["message"], "Forbidden") {
				t.Fatalf("got %s, want a JSON Forbidden message", resp.Body)
			}
		})
	}
}

func TestIdentityHeaders(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	ev := event("GET", "/api/v1/users/1", map[string][]string{"X-User-Tier": {"enterprise"}, "X-User-Email": {"spoof@evil.test"}})
	ev.RequestContext.Authorizer["scopes"] = "read write"
	ev.RequestContext.Authorizer["tier"] = "pro"
	ev.RequestContext.Authorizer["claim.email"] = "a@example.com"
	ev.RequestContext.Authorizer["claim.bad name"] = "x"
	ev.RequestContext.Authorizer["claim.inject"] = "a\r\nX-Admin: 1"
	resp, _ := h.Handle(context.Background(), ev)
	got := decode[seen](t, resp.Body)
	want := map[string]string{"X-User-Scopes": "read write", "X-User-Tier": "pro", "X-User-Email": "a@example.com"}
	for k, v := range want {
		if vs := got.Headers[k]; len(vs) != 1 || vs[0] != v {
			t.Errorf("%s: got %q, want [%q]", k, vs, v)
		}
	}
	for _, k := range []string{"X-User-Inject", "X-Admin", "X-User-Bad Name"} {
		if _, ok := got.Headers[k]; ok {
			t.Errorf("%s reached the backend", k)
		}
	}
	ev = event("GET", "/api/v1/users/1", nil)
	ev.RequestContext.Authorizer["userId"] = "u\r\nX-Admin: 1"
	if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 401 {
		t.Fatalf("user id with CRLF: got %d, want 401", resp.StatusCode)
	}
}
