package gateway

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/internal/usage"
)

// rulesRoutes has request rules on its routes and IP lists of its own.
const rulesRoutes = `{"version": 1,
  "ip": {"deny": ["192.0.2.0/24"]},
  "routes": [
    {"id": "partner", "match": {"pathPrefix": "/partner"}, "service": "user-service", "stripPrefix": "/partner",
     "ip": {"allow": ["10.0.0.0/8", "2001:db8::/32"]}, "maxBodyBytes": 16,
     "requestHeaders": {"set": {"X-Partner": "yes"}, "remove": ["X-Debug"]},
     "responseHeaders": {"allow": ["Etag"], "set": {"Cache-Control": "no-store"}}},
    {"id": "open", "match": {"pathPrefix": "/open"}, "service": "user-service"},
    {"id": "cached", "match": {"pathPrefix": "/cached", "methods": ["GET"]}, "service": "user-service",
     "cache": {"ttl": "1m"}, "requestHeaders": {"set": {"X-Partner": "cache"}}},
    {"id": "summary", "match": {"path": "/summary"}, "composite": {"calls": [
      {"key": "user", "service": "user-service", "path": "/users/{userId}", "fields": ["service", "path"], "rename": {"service": "from"}},
      {"key": "orders", "service": "order-service", "path": "/orders", "fields": ["method"]}
    ]}}
  ]}`

// tagged answers like echo, with an ETag and a Server header.
func tagged(name string) http.Handler {
	e := echo(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Etag", `"v1"`)
		w.Header().Set("Server", "backend/1.0")
		e.ServeHTTP(w, r)
	})
}

func rulesHandler(t *testing.T, cfg Config) *Handler {
	t.Helper()
	tbl, err := route.Parse([]byte(rulesRoutes))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Configuration = config.Fixed(tbl, nil)
	if cfg.Transport == nil {
		cfg.Transport = services{"user-service": tagged("user-service"), "order-service": echo("order-service")}
	}
	cfg.Now = func() time.Time { return testNow }
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRequestRules(t *testing.T) {
	h := rulesHandler(t, Config{})
	tests := []struct {
		name, method, path, ip, body string
		headers                      map[string][]string
		want                         int
	}{
		{"allowed network", "POST", "/partner/x", "10.1.2.3", "small", nil, 200},
		{"IPv6 allowed network", "GET", "/partner/x", "2001:db8::7", "", nil, 200},
		{"outside the allow list", "GET", "/partner/x", "203.0.113.7", "", nil, 403},
		{"denied for every route", "GET", "/open", "192.0.2.7", "", nil, 403},
		{"denied before anything else: no identity needed", "GET", "/nowhere", "192.0.2.7", "", nil, 403},
		{"a route without lists", "GET", "/open", "203.0.113.7", "", nil, 200},
		{"body over the route's limit", "POST", "/partner/x", "10.1.2.3", strings.Repeat("x", 17), nil, 413},
		{"body at the route's limit", "POST", "/partner/x", "10.1.2.3", strings.Repeat("x", 16), nil, 200},
		{"an X-Forwarded-For does not choose the address", "GET", "/partner/x", "203.0.113.7", "", map[string][]string{"X-Forwarded-For": {"10.0.0.1"}}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event(tt.method, tt.path, tt.headers)
			ev.RequestContext.Identity.SourceIP = tt.ip
			ev.Body = tt.body
			if tt.name == "denied before anything else: no identity needed" {
				ev.RequestContext.Authorizer = nil
			}
			resp, _ := h.Handle(context.Background(), ev)
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, resp.Body, tt.want)
			}
			if tt.want >= 400 && decode[map[string]string](t, resp.Body)["requestId"] == "" {
				t.Fatalf("got %s, want the gateway's JSON answer", resp.Body)
			}
		})
	}
}

func TestHeaderRulesThroughTheHandler(t *testing.T) {
	h := rulesHandler(t, Config{})
	ev := event("GET", "/partner/x", map[string][]string{"X-Debug": {"1"}, "X_debug": {"2"}, "X-Partner": {"spoofed"}, "Accept": {"a"}})
	ev.RequestContext.Identity.SourceIP = "10.0.0.9"
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
	got := decode[seen](t, resp.Body)
	if vs := got.Headers["X-Partner"]; len(vs) != 1 || vs[0] != "yes" {
		t.Errorf("backend X-Partner: got %q, want [yes] (the rule's, not the client's)", vs)
	}
	if _, ok := got.Headers["X-Debug"]; ok || got.Headers["Accept"] == nil || got.Headers["X-User-Id"] == nil {
		t.Errorf("backend headers: got %v, want X-Debug removed, Accept and the identity kept", got.Headers)
	}
	mv := resp.MultiValueHeaders
	if mv["Server"] != nil || mv["Etag"] == nil || mv["Content-Type"] == nil || mv["Cache-Control"][0] != "no-store" || mv["X-Request-Id"] == nil {
		t.Errorf("answer headers: got %v, want only Etag and Content-Type of the backend's, Cache-Control set, X-Request-Id added", mv)
	}
	// A cached route's backend gets the rule's constant headers too.
	resp, _ = h.Handle(context.Background(), event("GET", "/cached", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("cached route without a cache: got %d", resp.StatusCode)
	}
	if vs := decode[seen](t, resp.Body).Headers["X-Partner"]; len(vs) != 1 || vs[0] != "cache" {
		t.Errorf("cached route: got X-Partner %q, want [cache]", vs)
	}
}

func TestCompositeFieldPicking(t *testing.T) {
	h := rulesHandler(t, Config{})
	resp, _ := h.Handle(context.Background(), event("GET", "/summary", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
	got := decode[map[string]map[string]any](t, resp.Body)
	if u := got["user"]; len(u) != 2 || u["from"] != "user-service" || u["path"] != "/users/user-123" {
		t.Errorf("user: got %v, want only from (renamed service) and path", u)
	}
	if o := got["orders"]; len(o) != 1 || o["method"] != "GET" {
		t.Errorf("orders: got %v, want only method", o)
	}
	if got["_meta"]["user"] == nil {
		t.Errorf("got %v, want _meta kept", got["_meta"])
	}
}

// usageLog is a hand-written UsageRecorder.
type usageLog struct {
	mu     sync.Mutex
	events []usage.Event
}

func (r *usageLog) Record(_ context.Context, ev usage.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

// The usage counters count what reaches a backend, per key, route and
// tenant, when the limits document asks for them.
func TestMeterCountsServedRequests(t *testing.T) {
	src := &live.Memory{}
	src.Put(statetable.RoutesKey, []byte(testRoutes))
	src.Put(statetable.LimitsKey, []byte(`{"version": 1, "rules": [{"name": "ip", "dimension": "ip", "requests": 100, "window": "1m"}], "usage": {"claim": "tenant"}}`))
	snap, err := config.NewBuilder(config.SnapshotConfig{}).Build(context.Background(), src, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &usageLog{}
	h, err := New(Config{Configuration: snap, Transport: services{"user-service": echo("user-service")}, Usage: rec, APIKeys: fakeKeys{}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	ev := event("GET", "/api/v1/users/1", map[string][]string{"X-Api-Key": {"key-pro"}})
	ev.RequestContext.Authorizer["claim.tenant"] = "acme"
	h.Handle(context.Background(), ev)
	h.Handle(context.Background(), event("GET", "/nowhere", nil))              // 404: not counted
	h.Handle(context.Background(), event("DELETE", "/api/v1/products/1", nil)) // 405: not counted
	h.Handle(context.Background(), event("GET", "/api/v1/users/2", nil))       // no key, no tenant
	if len(rec.events) != 2 || rec.events[0] != (usage.Event{APIKey: "bbbb", Tenant: "acme", Route: "users"}) || rec.events[1] != (usage.Event{Route: "users"}) {
		t.Fatalf("got %+v, want the two served requests: bbbb/acme/users and users", rec.events)
	}
	// Without a usage section, nothing is counted.
	h = newHandler(t, services{"user-service": echo("user-service")}, nil)
	h.cfg.Usage = rec
	h.steps = pipeline(h.cfg)
	h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil))
	if len(rec.events) != 2 {
		t.Fatalf("no usage section: got %d events, want none more", len(rec.events))
	}
}
