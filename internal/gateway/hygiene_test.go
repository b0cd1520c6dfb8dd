package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/portico-gw/portico/internal/config"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
)

func TestHeaderAndVersionRouting(t *testing.T) {
	all := services{}
	for _, s := range []string{"user-service", "product-service", "french-content-service", "api-v2-service", "order-service"} {
		all[s] = echo(s)
	}
	h := newHandler(t, all, nil)
	tests := []struct {
		name, method, path string
		header             map[string][]string
		service, backend   string
	}{
		{"GET products", "GET", "/api/v1/products/456", nil, "product-service", "/products/456"},
		{"Accept-Language: fr", "GET", "/api/v1/products/456", map[string][]string{"accept-language": {"fr-FR,fr;q=0.9"}}, "french-content-service", "/products/456"},
		{"Accept-Language: en", "GET", "/api/v1/products/456", map[string][]string{"Accept-Language": {"en"}}, "product-service", "/products/456"},
		{"X-API-Version: 2", "GET", "/api/v1/users/123", map[string][]string{"X-API-Version": {"2"}}, "api-v2-service", "/users/123"},
		{"/api/v2", "GET", "/api/v2/users/123", nil, "api-v2-service", "/users/123"},
		{"orders", "GET", "/api/v1/orders/789", nil, "order-service", "/orders/789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := h.Handle(context.Background(), event(tt.method, tt.path, tt.header))
			if resp.StatusCode != 200 {
				t.Fatalf("got %d %s, want 200", resp.StatusCode, resp.Body)
			}
			if got := decode[seen](t, resp.Body); got.Service != tt.service || got.Path != tt.backend {
				t.Fatalf("got %s %s, want %s %s", got.Service, got.Path, tt.service, tt.backend)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHandler(t, services{"product-service": echo("product-service")}, nil)
	resp, _ := h.Handle(context.Background(), event("POST", "/api/v1/products", nil))
	if resp.StatusCode != 405 || strings.Join(resp.MultiValueHeaders["Allow"], ",") != "GET" {
		t.Fatalf("got %d Allow %q, want 405 with Allow: GET", resp.StatusCode, resp.MultiValueHeaders["Allow"])
	}
	if body := decode[map[string]string](t, resp.Body); body["message"] == "" || body["requestId"] == "" {
		t.Fatalf("got %s, want a JSON message and requestId", resp.Body)
	}
}

func TestNoTableYet(t *testing.T) {
	h, err := New(Config{Configuration: noConfig{}, Transport: http.DefaultTransport, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil)); resp.StatusCode != 503 {
		t.Fatalf("got %d %s, want 503 while no route table has loaded", resp.StatusCode, resp.Body)
	}
}

// noConfig is a configuration that has not loaded yet.
type noConfig struct{}

func (noConfig) Current(context.Context) (*config.Snapshot, bool) { return nil, false }

func TestConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no configuration": {Transport: http.DefaultTransport},
		"no transport":     {Configuration: noConfig{}},
		"negative limits":  {Configuration: noConfig{}, Transport: http.DefaultTransport, MaxQueryParams: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: got nil error, want one", name)
		}
	}
}

// A client's X-Request-ID is kept only when it is a valid UUID and the route
// allows it; the gateway's own is returned otherwise.
func TestClientRequestID(t *testing.T) {
	const gatewayID = "11111111-2222-4333-8444-555555555555"
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	tests := []struct {
		name, path, id, want string
	}{
		{"allowed and valid", "/api/v1/trace/1", "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"allowed, not a UUID", "/api/v1/trace/1", "spoofed\r\nX-Admin: 1", gatewayID},
		{"allowed, UUID in braces", "/api/v1/trace/1", "{0f8fad5b-d9cb-469f-a165-70867728950e}", gatewayID},
		{"route does not allow it", "/api/v1/users/1", "0f8fad5b-d9cb-469f-a165-70867728950e", gatewayID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := h.Handle(context.Background(), event("GET", tt.path, map[string][]string{"X-Request-Id": {tt.id}}))
			got := decode[seen](t, resp.Body)
			if v := got.Headers["X-Request-Id"]; len(v) != 1 || v[0] != tt.want {
				t.Errorf("backend X-Request-Id: got %q, want [%q]", v, tt.want)
			}
			if v := resp.MultiValueHeaders["X-Request-Id"]; len(v) != 1 || v[0] != tt.want {
				t.Errorf("response X-Request-Id: got %q, want [%q]", v, tt.want)
			}
		})
	}
}

func TestForwardedForAndTrace(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	const lambdaTrace = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"
	tests := []struct {
		name      string
		ctx       context.Context
		sourceIP  string
		header    map[string][]string
		wantXFF   []string
		wantTrace []string
	}{
		{"client chain replaced by the source IP", context.Background(), "203.0.113.7",
			map[string][]string{"X-Forwarded-For": {"10.0.0.1, 10.0.0.2"}, "X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"}},
			[]string{"203.0.113.7"}, []string{"Root=1-5759e988-bd862e3fe1be46a994272793"}},
		{"IPv6 source", context.Background(), "2001:db8::1", nil, []string{"2001:db8::1"}, nil},
		{"source IP that is not an address", context.Background(), "1.2.3.4\r\nX-Admin: 1", nil, nil, nil},
		{"the function's trace wins", context.WithValue(context.Background(), "x-amzn-trace-id", lambdaTrace), "203.0.113.7",
			map[string][]string{"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"}}, []string{"203.0.113.7"}, []string{lambdaTrace}},
		{"malformed trace dropped", context.Background(), "203.0.113.7",
			map[string][]string{"X-Amzn-Trace-Id": {"Root=1-x\r\nX-Admin: 1"}}, []string{"203.0.113.7"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event("GET", "/api/v1/users/1", tt.header)
			ev.RequestContext.Identity.SourceIP = tt.sourceIP
			resp, _ := h.Handle(tt.ctx, ev)
			got := decode[seen](t, resp.Body)
			if fmt.Sprint(got.Headers["X-Forwarded-For"]) != fmt.Sprint(tt.wantXFF) {
				t.Errorf("X-Forwarded-For: got %q, want %q", got.Headers["X-Forwarded-For"], tt.wantXFF)
			}
			if fmt.Sprint(got.Headers["X-Amzn-Trace-Id"]) != fmt.Sprint(tt.wantTrace) {
				t.Errorf("X-Amzn-Trace-Id: got %q, want %q", got.Headers["X-Amzn-Trace-Id"], tt.wantTrace)
			}
			if v := got.Headers["X-Forwarded-Proto"]; len(v) != 1 || v[0] != "https" {
				t.Errorf("X-Forwarded-Proto: got %q, want [https]", v)
			}
		})
	}
}

// SECURITY.md, headers: identity and enrichment headers come only from the
// gateway, whatever the client sends or names in Connection.
func TestHeaderHygiene(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	ev := event("GET", "/api/v1/users/1", map[string][]string{
		"x-user-id":           {"admin"},
		"X-USER-ROLES":        {"superuser"},
		"X-User-Tier":         {"enterprise"},
		"X-Forwarded-Host":    {"evil.example"},
		"X-Forwarded-Proto":   {"http"},
		"X-Real-IP":           {"10.0.0.1"},
		"Forwarded":           {"for=10.0.0.1"},
		"X-Request-Start":     {"t=0"},
		"Connection":          {"keep-alive, X-User-ID, X-Forwarded-For, X-Request-Id, Accept"},
		"Keep-Alive":          {"timeout=5"},
		"Upgrade":             {"websocket"},
		"Te":                  {"trailers"},
		"Proxy-Authorization": {"Basic eA=="},
		"Accept":              {"text/plain"},
		"X-Multi":             {"a", "b"},
	})
	resp, _ := h.Handle(context.Background(), ev)
	got := decode[seen](t, resp.Body)
	for _, k := range []string{"X-Forwarded-Host", "X-Real-Ip", "Forwarded", "Connection", "Keep-Alive", "Upgrade", "Te", "Proxy-Authorization", "Accept"} {
		if v, ok := got.Headers[k]; ok {
			t.Errorf("%s reached the backend: %q", k, v)
		}
	}
	want := map[string][]string{
		"X-User-Id": {"user-123"}, "X-User-Roles": {"admin,reader"}, "X-Forwarded-For": {"203.0.113.7"},
		"X-Forwarded-Proto": {"https"}, "X-Request-Id": {"11111111-2222-4333-8444-555555555555"},
		"X-Request-Start": {fmt.Sprintf("t=%d", testNow.UnixMilli())}, "X-Multi": {"a", "b"},
	}
	for k, v := range want {
		if fmt.Sprint(got.Headers[k]) != fmt.Sprint(v) {
			t.Errorf("%s: got %q, want %q", k, got.Headers[k], v)
		}
	}
	if _, ok := got.Headers["X-User-Tier"]; ok {
		t.Errorf("client X-User-Tier reached the backend without a tier in the token")
	}
}

// SECURITY.md, paths: no trick reaches a service another route owns; the
// backend sees the path the gateway matched.
func TestPathTricks(t *testing.T) {
	h := newHandler(t, services{"product-service": echo("product-service"), "order-service": echo("order-service"), "user-service": echo("user-service")}, nil)
	tests := []struct {
		path    string
		status  int
		service string
		backend string
	}{
		{"/api/v1/products/..", 404, "", ""},
		{"/api/v1/products/%2e%2e/orders/1", 200, "order-service", "/orders/1"}, // as if asked for /api/v1/orders/1: its route, its permissions
		{"/api/v1/products%2f..%2forders", 400, "", ""},
		{"/api/v1/products/1;/../../orders", 400, "", ""},
		{"/api/v1/PRODUCTS/1", 404, "", ""},
		{"/api/v1/products//1/", 200, "product-service", "/products/1"},
		{"/api/v1/products/a%20b", 200, "product-service", "/products/a b"},
	}
	for _, tt := range tests {
		resp, _ := h.Handle(context.Background(), event("GET", tt.path, nil))
		if resp.StatusCode != tt.status {
			t.Errorf("%s: got %d %s, want %d", tt.path, resp.StatusCode, resp.Body, tt.status)
			continue
		}
		if tt.service != "" {
			if got := decode[seen](t, resp.Body); got.Service != tt.service || got.Path != tt.backend {
				t.Errorf("%s: got %s %s, want %s %s", tt.path, got.Service, got.Path, tt.service, tt.backend)
			}
		}
	}
}

// Query parameters reach the backend as API Gateway gave them, values in
// order; too many are refused rather than cut.
func TestQueryFaithful(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	ev := event("GET", "/api/v1/users", nil)
	ev.MultiValueQueryStringParameters = map[string][]string{"b": {"2", "1", "2"}, "a;b": {"x&y"}, "e": {""}}
	resp, _ := h.Handle(context.Background(), ev)
	if got := decode[seen](t, resp.Body); got.Query != "a%3Bb=x%26y&b=2&b=1&b=2&e=" {
		t.Errorf("got query %q, want a%%3Bb=x%%26y&b=2&b=1&b=2&e=", got.Query)
	}
	ev.MultiValueQueryStringParameters = map[string][]string{"x": make([]string, DefaultMaxQueryParams+1)}
	if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 400 {
		t.Errorf("%d query values: got %d, want 400", DefaultMaxQueryParams+1, resp.StatusCode)
	}
}

// Backend answers are untrusted: no hop-by-hop or gateway-owned headers, no
// injected header lines, a size cap.
func TestBackendResponseHygiene(t *testing.T) {
	evil := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Secret")
		w.Header().Set("X-Secret", "internal")
		w.Header().Set("X-Request-Id", "backend-id")
		w.Header().Set("RateLimit-Remaining", "999")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{}`))
	})
	big := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 2048))
	})
	h, err := New(Config{Configuration: config.Fixed(testTable(t), nil), Transport: services{"user-service": evil, "order-service": big},
		MaxBodyBytes: 1024, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil))
	for _, k := range []string{"Connection", "X-Secret", "Keep-Alive", "Ratelimit-Remaining"} {
		if v, ok := resp.MultiValueHeaders[k]; ok {
			t.Errorf("backend header %s reached the client: %q", k, v)
		}
	}
	if v := resp.MultiValueHeaders["X-Request-Id"]; len(v) != 1 || v[0] == "backend-id" {
		t.Errorf("X-Request-Id: got %q, want the gateway's", v)
	}
	if v := resp.MultiValueHeaders["Set-Cookie"]; len(v) != 2 {
		t.Errorf("Set-Cookie: got %q, want both values", v)
	}
	if resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/orders/1", nil)); resp.StatusCode != 502 {
		t.Errorf("oversized answer: got %d, want 502", resp.StatusCode)
	}
	injected := responseHeaders(http.Header{"X-Ok": {"fine"}, "X-Bad": {"a\r\nSet-Cookie: admin=1"}, "Bad Name": {"x"}})
	if len(injected) != 1 || injected["X-Ok"][0] != "fine" {
		t.Errorf("got %v, want only X-Ok (no CR/LF values, no invalid names)", injected)
	}
}

// Every request leaves one JSON access line and one EMF line.
func TestAccessLogAndMetrics(t *testing.T) {
	var logs, metrics bytes.Buffer
	h, err := New(Config{
		Configuration: config.Fixed(testTable(t), nil), Transport: services{"user-service": echo("u"), "order-service": echo("o")},
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Metrics: &metrics,
		Now: func() time.Time { return testNow }, NewID: func() string { return "11111111-2222-4333-8444-555555555555" },
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := event("GET", "/user-dashboard", map[string][]string{"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"}})
	h.Handle(context.Background(), ev)
	h.Handle(context.Background(), event("GET", "/nowhere", nil))

	var line struct {
		Msg, XRequestID, Route, UserID, AmznTraceID string
		Status                                      int
		LatencyMs                                   *float64
		Backends                                    []backendStat
	}
	// The first access line (a failed optional call logs a warning before it).
	for l := range strings.SplitSeq(logs.String(), "\n") {
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("got log %q, want JSON: %v", l, err)
		}
		if line.Msg == "access" {
			break
		}
	}
	if line.Msg != "access" || line.Route != "dashboard" || line.UserID != "user-123" || line.Status != 200 ||
		line.XRequestID == "" || line.AmznTraceID == "" || line.LatencyMs == nil || len(line.Backends) != 3 {
		t.Errorf("got access line %+v, want route, user, status, ids, latency and three backends", line)
	}
	if line.Backends[2].Key != "notifications" || line.Backends[2].Status != 502 {
		t.Errorf("got backend %+v, want notifications failing with 502 (no instances)", line.Backends[2])
	}

	lines := strings.Split(strings.TrimSpace(metrics.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d EMF lines, want 2", len(lines))
	}
	var emf struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Route    string
		Requests int
		N4xx     int `json:"4xx"`
		N5xx     int `json:"5xx"`
		Latency  *float64
	}
	if err := json.Unmarshal([]byte(lines[1]), &emf); err != nil {
		t.Fatalf("got EMF %q, want JSON: %v", lines[1], err)
	}
	cw := emf.AWS.CloudWatchMetrics
	if emf.AWS.Timestamp != testNow.UnixMilli() || len(cw) != 1 || cw[0].Namespace != MetricNamespace ||
		fmt.Sprint(cw[0].Dimensions) != "[[Route]]" || len(cw[0].Metrics) != 4 {
		t.Errorf("got EMF metadata %+v, want the Portico/Gateway namespace, Route dimension and four metrics", emf.AWS)
	}
	if emf.Route != NoRoute || emf.Requests != 1 || emf.N4xx != 1 || emf.N5xx != 0 || emf.Latency == nil {
		t.Errorf("got %+v, want the 404 counted under route %q", emf, NoRoute)
	}
}

// The route's timeout is bounded by the function's deadline, less a margin
// to answer in time.
func TestDeadlineBoundsRouteTimeout(t *testing.T) {
	var got time.Time
	probe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) })
	h, err := New(Config{Configuration: config.Fixed(testTable(t), nil), Now: func() time.Time { return testNow },
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			got, _ = r.Context().Deadline()
			return services{"order-service": probe}.RoundTrip(r)
		})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 29*time.Second) // the function's deadline
	defer cancel()
	dl, _ := ctx.Deadline()
	h.Handle(ctx, event("GET", "/api/v1/orders/1", nil)) // route timeout 30s
	if want := dl.Add(-DefaultDeadlineMargin); !got.Equal(want) {
		t.Errorf("got a backend deadline %s before the function's, want %s (the margin)", dl.Sub(got), DefaultDeadlineMargin)
	}
	ctx, cancel = context.WithTimeout(context.Background(), DefaultDeadlineMargin/2)
	defer cancel()
	if resp, _ := h.Handle(ctx, event("GET", "/api/v1/orders/1", nil)); resp.StatusCode != 504 {
		t.Errorf("less time left than the margin: got %d, want 504", resp.StatusCode)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFailureStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("get: %w", context.DeadlineExceeded), 504},
		{fmt.Errorf("mesh: user-service: 10.0.0.1:80: %w after 2s", mesh.ErrPerTryTimeout), 504},
		{fmt.Errorf("mesh: %w", mesh.ErrOverflow), 503},
		{fmt.Errorf("mesh: %w: user-service", mesh.ErrNoInstances), 502},
		{errors.New("connection refused"), 502},
	}
	for _, tt := range tests {
		if got := failureStatus(tt.err); got != tt.want {
			t.Errorf("failureStatus(%v): got %d, want %d", tt.err, got, tt.want)
		}
	}
}
