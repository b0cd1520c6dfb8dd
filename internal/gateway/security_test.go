package gateway

import (
	"context"
	"errors"
	"fmt"
	"github.com/portico-gw/portico/internal/config"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/apikey"
	"github.com/portico-gw/portico/internal/cache"
	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// The attacks of ../shared/SECURITY.md's "classes found since", one test per
// class, each named for the attack it stops.

// recorder is a service that counts the requests that reach it.
type recorder struct {
	mu    sync.Mutex
	calls []string // method path
	body  []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.calls = append(r.calls, req.Method+" "+req.URL.Path)
	r.body = append(r.body, string(b))
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"secret":"internal"}`)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// redirecting answers status with Location: to.
func redirecting(status int, to string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", to)
		w.WriteHeader(status)
	})
}

// A backend's redirect must never make the gateway call another service (an
// SSRF into the mesh with the caller's identity attached, past the route table
// and the permissions): the 3xx goes back to the client.
func TestAttackBackendRedirectIsNotFollowed(t *testing.T) {
	tests := []struct {
		name         string
		method, path string
		status       int
		location     string
		wantLocation string // what the client sees
	}{
		{"302 to another mesh service", "GET", "/api/v1/users/1", http.StatusFound, "http://internal-service/admin", "http://internal-service/admin"},
		{"301 to another mesh service", "GET", "/api/v1/users/1", http.StatusMovedPermanently, "http://internal-service/admin", "http://internal-service/admin"},
		{"303 to another mesh service", "POST", "/api/v1/users", http.StatusSeeOther, "http://internal-service/admin", "http://internal-service/admin"},
		{"307 re-sending the body", "POST", "/api/v1/users", http.StatusTemporaryRedirect, "http://internal-service/admin", "http://internal-service/admin"},
		{"308 re-sending the body", "PUT", "/api/v1/users/1", http.StatusPermanentRedirect, "http://internal-service/admin", "http://internal-service/admin"},
		{"302 to a metadata address", "GET", "/api/v1/users/1", http.StatusFound, "http://169.254.169.254/latest/meta-data/", "http://169.254.169.254/latest/meta-data/"},
		{"302 relative to the same service gets the stripped prefix back", "GET", "/api/v1/users/1", http.StatusFound, "/users/2", "/api/v1/users/2"},
		{"302 relative to a path another route serves stays as it is", "GET", "/api/v1/users/1", http.StatusFound, "/orders/2", "/orders/2"},
		{"302 protocol-relative stays as it is", "GET", "/api/v1/users/1", http.StatusFound, "//internal-service/admin", "//internal-service/admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			internal := &recorder{}
			h := newHandler(t, services{"user-service": redirecting(tt.status, tt.location), "internal-service": internal}, nil)
			ev := event(tt.method, tt.path, nil)
			ev.Body = `{"amount":100}`
			resp, _ := h.Handle(context.Background(), ev)
			if internal.count() != 0 {
				t.Fatalf("the redirect target got %v, want no call", internal.calls)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("got status %d %s, want the backend's %d", resp.StatusCode, resp.Body, tt.status)
			}
			if got := resp.MultiValueHeaders["Location"]; len(got) != 1 || got[0] != tt.wantLocation {
				t.Fatalf("got Location %q, want [%q]", got, tt.wantLocation)
			}
		})
	}
	t.Run("composite call answered 302", func(t *testing.T) {
		internal := &recorder{}
		h := newHandler(t, services{
			"user-service":         redirecting(http.StatusFound, "http://internal-service/admin"),
			"order-service":        echo("order-service"),
			"notification-service": echo("notification-service"),
			"internal-service":     internal,
		}, nil)
		resp, _ := h.Handle(context.Background(), event("GET", "/user-dashboard", nil))
		if internal.count() != 0 {
			t.Fatalf("the redirect target got %v, want no call", internal.calls)
		}
		if resp.StatusCode != http.StatusBadGateway || strings.Contains(resp.Body, "internal") {
			t.Fatalf("got %d %s, want 502 naming the call, nothing of the target", resp.StatusCode, resp.Body)
		}
	})
}

// folded folds a header name as CGI, WSGI and Rack servers do: case and '_'
// versus '-' do not matter. (The test's own spelling of the rule, independent
// of the gateway's fold.)
func folded(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// Header names that fold to one the gateway owns or strips must not reach a
// backend in any spelling: X_User_Roles is X-User-Roles to many frameworks.
func TestAttackIdentityHeaderSpellings(t *testing.T) {
	spellings := []string{
		"X_User_Roles", "x_user_id", "X_USER_ID", "x-user_id", "X_User_Tier", "X_User_Email", "X_User_Scopes",
		"X_Forwarded_For", "X_Forwarded_Proto", "X_Forwarded_Host", "X_Real_Ip", "X_Request_Id", "X_Request_Start",
		"X_Api_Key_Id", "X_Amzn_Trace_Id", "Proxy_Authorization", "Transfer_Encoding",
	}
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	for _, name := range spellings {
		t.Run(name, func(t *testing.T) {
			resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", map[string][]string{name: {"spoofed"}}))
			if resp.StatusCode != 200 {
				t.Fatalf("got %d %s, want 200", resp.StatusCode, resp.Body)
			}
			for k, vs := range decode[seen](t, resp.Body).Headers {
				if folded(k) == folded(name) && (k != http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-")) || strings.Contains(strings.Join(vs, ","), "spoofed")) {
					t.Errorf("backend got %s: %q, want the client's %s dropped", k, vs, name)
				}
			}
		})
	}
	t.Run("an ordinary underscore header passes", func(t *testing.T) {
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", map[string][]string{"X_Custom_Thing": {"ok"}}))
		if got := decode[seen](t, resp.Body).Headers; len(got["X_custom_thing"]) != 1 {
			t.Fatalf("got headers %v, want X_Custom_Thing through", got)
		}
	})
}

// A request authorised as one method must not act as another on backends that
// honour override headers, and a URL-rewrite header must not choose another
// path than the one routed and authorised.
func TestAttackMethodOverrideAndRewriteHeaders(t *testing.T) {
	names := []string{
		"X-HTTP-Method-Override", "X-Method-Override", "X-HTTP-Method", "X-Original-URL", "X-Rewrite-URL",
		"x_http_method_override", "X_Original_Url",
	}
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", map[string][]string{name: {"DELETE"}}))
			for k, vs := range decode[seen](t, resp.Body).Headers {
				if folded(k) == folded(name) {
					t.Errorf("backend got %s: %q, want it stripped", k, vs)
				}
			}
		})
	}
}

// HEAD is GET without a body: a permission on GET governs HEAD too, or a
// caller without the role reads headers (and side effects) of a protected
// route.
func TestAttackHeadBypassesGetPermission(t *testing.T) {
	tbl := withPermissions(t, `[{"path": "/api/v1/users", "methods": ["GET"], "anyRole": ["admin"]}]`)
	h, err := New(Config{Configuration: config.Fixed(tbl, nil), Transport: services{"user-service": echo("user-service")},
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, roles string
		want          int
	}{{"GET", "reader", 403}, {"HEAD", "reader", 403}, {"HEAD", "admin", 200}, {"POST", "reader", 200}} {
		t.Run(tt.method+" as "+tt.roles, func(t *testing.T) {
			ev := event(tt.method, "/api/v1/users/1", nil)
			ev.RequestContext.Authorizer["roles"] = tt.roles
			if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != tt.want {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, resp.Body, tt.want)
			}
		})
	}
}

// swapRoutes is a configuration whose route table a test changes.
type swapRoutes struct{ t atomic.Pointer[route.Table] }

func (s *swapRoutes) Current(context.Context) (*config.Snapshot, bool) {
	return config.Fixed(s.t.Load(), nil), true
}

// A cached answer belongs to the route (and service) that made it: when the
// table sends a path to another route, or two routes share a path, one
// route's answers are never served for another's.
func TestAttackCacheSharedAcrossRoutes(t *testing.T) {
	parse := func(doc string) *route.Table {
		tbl, err := route.Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return tbl
	}
	before := parse(`{"version": 1, "routes": [
		{"id": "catalog", "match": {"pathPrefix": "/api/v1/catalog"}, "service": "product-service", "stripPrefix": "/api/v1", "cache": {"ttl": "5m"}}]}`)
	after := parse(`{"version": 1, "routes": [
		{"id": "catalog-partner", "match": {"pathPrefix": "/api/v1/catalog"}, "service": "partner-service", "stripPrefix": "/api/v1", "cache": {"ttl": "5m"}}]}`)
	c, err := cache.New(cache.Config{Store: cache.NewMemory(func() time.Time { return testNow }), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	routes := &swapRoutes{}
	routes.t.Store(before)
	h, err := New(Config{Configuration: routes, Cache: c, Now: func() time.Time { return testNow },
		Transport: services{"product-service": echo("product-service"), "partner-service": echo("partner-service")}})
	if err != nil {
		t.Fatal(err)
	}
	get := func() seen {
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/catalog/1", nil))
		return decode[seen](t, resp.Body)
	}
	if got := get(); got.Service != "product-service" {
		t.Fatalf("before: got %s, want product-service", got.Service)
	}
	routes.t.Store(after)
	if got := get(); got.Service != "partner-service" {
		t.Fatalf("after the table moved the path: got %s's cached answer, want partner-service's", got.Service)
	}
}

// Limits a client escapes by not sending an API key: without a key, the
// endpoint and tier limits count per authenticated subject, with the tier
// from the token (or the default tier).
func TestAttackLimitsEscapedByOmittingKey(t *testing.T) {
	doc := `{"version":1,"rules":[
		{"name":"search","dimension":"endpoint","route":"/api/v1/users/search","requests":2,"window":"1m"},
		{"name":"tier-free","dimension":"tier","tier":"free","requests":3,"window":"1h"}]}`
	tests := []struct {
		name      string
		path      string
		tierClaim string
		allowed   int
	}{
		{"search limit holds for a token without a key", "/api/v1/users/search", "pro", 2},
		{"tier limit of the token's tier", "/api/v1/users/1", "free", 3},
		{"tier limit of the default tier when the token names none", "/api/v1/users/1", "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, services{"user-service": echo("user-service")}, testSet(t, doc))
			for i := range tt.allowed + 1 {
				ev := event("GET", tt.path, nil)
				ev.RequestContext.Authorizer["tier"] = tt.tierClaim
				resp, _ := h.Handle(context.Background(), ev)
				want := 200
				if i == tt.allowed {
					want = 429
				}
				if resp.StatusCode != want {
					t.Fatalf("request %d: got %d, want %d", i+1, resp.StatusCode, want)
				}
			}
			other := event("GET", tt.path, nil)
			other.RequestContext.Authorizer["userId"] = "someone-else"
			other.RequestContext.Authorizer["tier"] = tt.tierClaim
			if resp, _ := h.Handle(context.Background(), other); resp.StatusCode != 200 {
				t.Fatalf("another subject: got %d, want 200 (its own budget)", resp.StatusCode)
			}
		})
	}
}

// countingKeys is a key store that counts its lookups.
type countingKeys struct{ lookups atomic.Int64 }

func (c *countingKeys) Get(_ context.Context, hash string) (apikey.Record, error) {
	c.lookups.Add(1)
	if hash == apikey.Hash("real-key") {
		return apikey.Record{ID: "real", Tier: "pro", Enabled: true}, nil
	}
	return apikey.Record{}, apikey.ErrUnknownKey
}

// A spray of random API keys must spend the sender's per-IP budget before it
// costs a store lookup each: per-IP limits run first, and a failed lookup
// counts against the IP too.
func TestAttackAPIKeySprayBeforeLimits(t *testing.T) {
	store := &countingKeys{}
	keys, err := apikey.New(apikey.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	set := testSet(t, `{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":10,"window":"1m"}]}`)
	h, err := New(Config{Configuration: config.Fixed(testTable(t), set), Transport: services{"user-service": echo("user-service")}, APIKeys: keys, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[int]int{}
	for i := range 50 {
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", map[string][]string{"X-Api-Key": {fmt.Sprintf("guess-%d", i)}}))
		statuses[resp.StatusCode]++
	}
	// 10 requests per minute, each failed lookup costing a second one: 5
	// lookups, 5 answers of 403, then 429 without a lookup.
	if got := store.lookups.Load(); got != 5 {
		t.Errorf("got %d key lookups, want 5 (the IP's budget, two per failed lookup)", got)
	}
	if statuses[403] != 5 || statuses[429] != 45 {
		t.Errorf("got statuses %v, want 5×403 then 45×429", statuses)
	}
}

// A flood of unknown keys evicts them from the key cache, never the known
// ones, and never clears it whole.
func TestAttackKeyCacheFloodKeepsKnownKeys(t *testing.T) {
	store := &countingKeys{}
	keys, err := apikey.New(apikey.Config{Store: store, MaxEntries: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := keys.Resolve(ctx, "real-key"); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		keys.Resolve(ctx, fmt.Sprintf("guess-%d", i))
	}
	before := store.lookups.Load()
	if _, err := keys.Resolve(ctx, "real-key"); err != nil {
		t.Fatal(err)
	}
	if got := store.lookups.Load() - before; got != 0 {
		t.Fatalf("got %d lookups for the known key after the flood, want 0 (still cached)", got)
	}
}

// errNoDeadline is what the hanging stores answer when they are called
// without a deadline: the gateway would have waited for them until the
// request's own deadline.
var errNoDeadline = errors.New("store called without a deadline")

// hang blocks until ctx ends, as a store whose connection hangs.
func hang(ctx context.Context, maxWait time.Duration) error {
	dl, ok := ctx.Deadline()
	if !ok {
		return errNoDeadline
	}
	if time.Until(dl) > maxWait {
		return fmt.Errorf("store called with %s left, want at most %s", time.Until(dl).Round(time.Millisecond), maxWait)
	}
	<-ctx.Done()
	return ctx.Err()
}

type hangingCounters struct{ errs chan error }

func (s hangingCounters) Add(ctx context.Context, key string, n, max int64, expires time.Time) (int64, int64, error) {
	err := hang(ctx, time.Second)
	s.errs <- err
	return 0, 0, err
}

func (s hangingCounters) Count(ctx context.Context, key string) (int64, error) {
	return 0, hang(ctx, time.Second)
}

type hangingKeys struct{ errs chan error }

func (s hangingKeys) Get(ctx context.Context, hash string) (apikey.Record, error) {
	err := hang(ctx, time.Second)
	s.errs <- err
	return apikey.Record{}, err
}

type hangingCache struct{ errs chan error }

func (s hangingCache) Get(ctx context.Context, key string) (*cache.Entry, error) {
	err := hang(ctx, time.Second)
	s.errs <- err
	return nil, err
}

func (s hangingCache) Put(ctx context.Context, key string, e *cache.Entry) error {
	err := hang(ctx, time.Second)
	s.errs <- err
	return err
}

// A store that hangs, rather than fails, must get the same declared fail mode
// as one that fails, within its own short timeout, not the request's deadline.
func TestAttackHangingStores(t *testing.T) {
	t.Run("fail-open limit", func(t *testing.T) {
		errs := make(chan error, 10)
		lim, err := ratelimit.NewSet(hangingCounters{errs}, []ratelimit.Rule{{Dimension: ratelimit.IP,
			Limit: ratelimit.Config{Name: "ip", Requests: 100, Window: time.Minute, FailMode: ratelimit.FailOpen}}})
		if err != nil {
			t.Fatal(err)
		}
		h := newHandler(t, services{"user-service": echo("user-service")}, lim)
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil))
		if err := <-errs; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("store call ended with %v, want its own deadline", err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("got %d %s, want 200 (fail open)", resp.StatusCode, resp.Body)
		}
	})
	t.Run("fail-closed limit", func(t *testing.T) {
		errs := make(chan error, 10)
		lim, err := ratelimit.NewSet(hangingCounters{errs}, []ratelimit.Rule{{Dimension: ratelimit.IP,
			Limit: ratelimit.Config{Name: "ip", Requests: 100, Window: time.Minute, FailMode: ratelimit.FailClosed}}})
		if err != nil {
			t.Fatal(err)
		}
		h := newHandler(t, services{"user-service": echo("user-service")}, lim)
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil))
		if err := <-errs; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("store call ended with %v, want its own deadline", err)
		}
		if resp.StatusCode != 503 {
			t.Fatalf("got %d %s, want 503 (fail closed)", resp.StatusCode, resp.Body)
		}
	})
	t.Run("API key store", func(t *testing.T) {
		errs := make(chan error, 10)
		keys, err := apikey.New(apikey.Config{Store: hangingKeys{errs}})
		if err != nil {
			t.Fatal(err)
		}
		h, err := New(Config{Configuration: config.Fixed(testTable(t), nil), Transport: services{"user-service": echo("user-service")},
			APIKeys: keys, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", map[string][]string{"X-Api-Key": {"k"}}))
		if err := <-errs; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("store call ended with %v, want its own deadline", err)
		}
		if resp.StatusCode != 503 {
			t.Fatalf("got %d %s, want 503", resp.StatusCode, resp.Body)
		}
	})
	t.Run("response cache store", func(t *testing.T) {
		errs := make(chan error, 10)
		c, err := cache.New(cache.Config{Store: hangingCache{errs}, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := route.Parse([]byte(`{"version": 1, "routes": [
			{"id": "products", "match": {"pathPrefix": "/api/v1/products"}, "service": "product-service", "stripPrefix": "/api/v1", "cache": {"ttl": "5m"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		h, err := New(Config{Configuration: config.Fixed(tbl, nil), Cache: c, Now: func() time.Time { return testNow },
			Transport: services{"product-service": echo("product-service")}})
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/products/1", nil))
		for range 2 { // the read, then the write
			if err := <-errs; !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("store call ended with %v, want its own deadline", err)
			}
		}
		if resp.StatusCode != 200 || decode[seen](t, resp.Body).Service != "product-service" {
			t.Fatalf("got %d %s, want 200 from the backend", resp.StatusCode, resp.Body)
		}
	})
}

// A mapped claim must not overwrite an identity header: mapping a claim to
// "id" or "roles" would let a token's own claim choose X-User-Id.
func TestAttackClaimMappingOverwritesIdentity(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	for _, key := range []string{"id", "Id", "roles", "ROLES", "scopes", "tier", "user_id"} {
		t.Run(key, func(t *testing.T) {
			ev := event("GET", "/api/v1/users/1", nil)
			ev.RequestContext.Authorizer["claim."+key] = "spoofed"
			resp, _ := h.Handle(context.Background(), ev)
			got := decode[seen](t, resp.Body).Headers
			for k, vs := range got {
				if strings.Contains(strings.Join(vs, ","), "spoofed") {
					t.Errorf("backend got %s: %q from a mapped claim", k, vs)
				}
			}
			if v := got["X-User-Id"]; len(v) != 1 || v[0] != "user-123" {
				t.Errorf("got X-User-Id %q, want [user-123]", v)
			}
		})
	}
}

// W3C trace context from the client travels only when well formed: a
// malformed traceparent or tracestate is dropped, and tracestate never travels
// without a valid traceparent.
func TestAttackMalformedTraceContext(t *testing.T) {
	const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tests := []struct {
		name                  string
		traceparent           []string
		tracestate            []string
		wantParent, wantState bool
	}{
		{"valid", []string{valid}, []string{"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}, true, true},
		{"trailing data", []string{valid + "-evil"}, []string{"a=b"}, false, false},
		{"not hex", []string{"00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01"}, []string{"a=b"}, false, false},
		{"upper-case hex", []string{strings.ToUpper(valid)}, nil, false, false},
		{"all-zero trace id", []string{"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, nil, false, false},
		{"all-zero parent id", []string{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}, nil, false, false},
		{"version ff", []string{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, nil, false, false},
		{"two traceparents", []string{valid, valid}, nil, false, false},
		{"oversized tracestate", []string{valid}, []string{strings.Repeat("a=b,", 200)}, true, false},
		{"tracestate member without =", []string{valid}, []string{"novalue"}, true, false},
		{"tracestate without traceparent", nil, []string{"a=b"}, false, false},
	}
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string][]string{}
			if tt.traceparent != nil {
				hdr["Traceparent"] = tt.traceparent
			}
			if tt.tracestate != nil {
				hdr["Tracestate"] = tt.tracestate
			}
			resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", hdr))
			got := decode[seen](t, resp.Body).Headers
			if _, ok := got["Traceparent"]; ok != tt.wantParent {
				t.Errorf("got traceparent %q, want forwarded: %v", got["Traceparent"], tt.wantParent)
			}
			if _, ok := got["Tracestate"]; ok != tt.wantState {
				t.Errorf("got tracestate %q, want forwarded: %v", got["Tracestate"], tt.wantState)
			}
		})
	}
}

// A cached Allow must be refused when the context's exp cannot be read: an
// absent or unparsable exp is not "no expiry".
func TestAttackExpiryRecheckSkipped(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service")}, nil)
	future := testNow.Add(time.Hour).Unix()
	tests := []struct {
		name string
		exp  any
		want int
	}{
		{"absent", nil, 401},
		{"not a number", "tomorrow", 401},
		{"empty", "", 401},
		{"float string in the future", fmt.Sprintf("%d.0", future), 200},
		{"exponent string in the future", fmt.Sprintf("%.9e", float64(future)), 200},
		{"integer string in the future", fmt.Sprint(future), 200},
		{"number in the future", float64(future), 200},
		{"number in the past", float64(testNow.Add(-time.Second).Unix()), 401},
		{"boolean", true, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event("GET", "/api/v1/users/1", nil)
			if tt.exp == nil {
				delete(ev.RequestContext.Authorizer, "exp")
			} else {
				ev.RequestContext.Authorizer["exp"] = tt.exp
			}
			if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != tt.want {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, resp.Body, tt.want)
			}
		})
	}
}

// Composite answers tell the client what failed, not where: no internal URL,
// address or port in _meta.
func TestAttackCompositeErrorLeaksAddresses(t *testing.T) {
	h := newHandler(t, services{"user-service": echo("user-service"), "order-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})}, nil) // notification-service has no instances
	resp, _ := h.Handle(context.Background(), event("GET", "/user-dashboard", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %s, want 200 with partial results", resp.StatusCode, resp.Body)
	}
	meta := decode[metaBody](t, resp.Body).Meta
	for _, key := range []string{"orders", "notifications"} {
		msg, _ := meta[key]["error"].(string)
		if msg == "" {
			t.Errorf("_meta.%s.error: got none, want a short reason", key)
		}
		for _, leak := range []string{"http://", "127.0.0.1", "no instances of", "dial", ":"} {
			if strings.Contains(msg, leak) {
				t.Errorf("_meta.%s.error %q carries %q", key, msg, leak)
			}
		}
	}
}

// Composite path templates must not let a value add, remove or climb
// segments: an empty value would give //, and . or .. a dot-segment.
func TestAttackCompositeTemplateSegments(t *testing.T) {
	tbl, err := route.Parse([]byte(`{"version": 1, "routes": [
		{"id": "lookup", "match": {"path": "/lookup"}, "composite": {"calls": [
			{"key": "item", "service": "user-service", "path": "/items/{query.id}/detail"}]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	users := &recorder{}
	h, err := New(Config{Configuration: config.Fixed(tbl, nil), Transport: services{"user-service": users}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", ".", "..", "a/b", `a\b`} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			ev := event("GET", "/lookup", nil)
			ev.MultiValueQueryStringParameters = map[string][]string{"id": {id}}
			resp, _ := h.Handle(context.Background(), ev)
			if resp.StatusCode != 400 {
				t.Fatalf("got %d %s, want 400", resp.StatusCode, resp.Body)
			}
		})
	}
	if users.count() != 0 {
		t.Fatalf("the backend got %v, want no call", users.calls)
	}
	ev := event("GET", "/lookup", nil)
	ev.MultiValueQueryStringParameters = map[string][]string{"id": {"a b"}}
	if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 200 || users.count() != 1 || users.calls[0] != "GET /items/a b/detail" {
		t.Fatalf("got %d %v, want 200 and GET /items/a b/detail", resp.StatusCode, users.calls)
	}
}
