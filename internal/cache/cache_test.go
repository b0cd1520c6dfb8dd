package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var (
	products = Policy{TTL: 5 * time.Minute, Vary: []string{"Accept-Language", "Accept-Encoding"}, StaleIfError: time.Minute}
	search   = Policy{TTL: time.Minute, Query: []string{"q", "page"}}
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// countingStore is a hand-written fake around Memory that counts calls and
// fails on demand.
type countingStore struct {
	*Memory
	gets, puts atomic.Int64
	fail       bool
}

func (s *countingStore) Get(ctx context.Context, key string) (*Entry, error) {
	s.gets.Add(1)
	if s.fail {
		return nil, errors.New("store down")
	}
	return s.Memory.Get(ctx, key)
}

func (s *countingStore) Put(ctx context.Context, key string, e *Entry) error {
	s.puts.Add(1)
	if s.fail {
		return errors.New("store down")
	}
	return s.Memory.Put(ctx, key, e)
}

// backend is a fake backend. Like the demo services, it echoes the request's
// headers and query in its body, so that anything unkeyed that reaches it
// would show in a cached answer.
type backend struct {
	calls  int
	status int
	header http.Header
	body   []byte // instead of the echo
	err    error
	seen   []Request
}

func (b *backend) fetch(_ context.Context, req Request) (*Response, error) {
	b.calls++
	b.seen = append(b.seen, req)
	if b.err != nil {
		return nil, b.err
	}
	body := b.body
	if body == nil {
		body, _ = json.Marshal(map[string]any{"path": req.Path, "query": req.Query, "headers": req.Header, "n": b.calls})
	}
	status := b.status
	if status == 0 {
		status = http.StatusOK
	}
	h := b.header.Clone()
	if h == nil {
		h = http.Header{"Content-Type": {"application/json"}}
	}
	return &Response{Status: status, Header: h, Body: body}, nil
}

func setup(t *testing.T, cfg Config) (*Cache, *countingStore, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	store := &countingStore{Memory: NewMemory(c.Now)}
	cfg.Store, cfg.Now = store, c.Now
	cache, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cache, store, c
}

func get(path string, header ...string) Request {
	u, _ := url.Parse(path)
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return Request{Method: http.MethodGet, Path: u.Path, Query: u.Query(), Header: h}
}

func do(t *testing.T, c *Cache, p Policy, req Request, b *backend) *Response {
	t.Helper()
	r, err := c.Do(context.Background(), p, req, b.fetch)
	if err != nil {
		t.Fatalf("Do %s: got %v, want no error", req.Path, err)
	}
	return r
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		want error // nil means valid
	}{
		{"products", products, nil},
		{"search", search, nil},
		{"user-specific", Policy{TTL: time.Minute, UserSpecific: true}, ErrUserSpecific},
		{"vary authorization", Policy{TTL: time.Minute, Vary: []string{"Authorization"}}, ErrCredentialKey},
		{"vary authorization, any case", Policy{TTL: time.Minute, Vary: []string{" authorization "}}, ErrCredentialKey},
		{"vary cookie", Policy{TTL: time.Minute, Vary: []string{"Cookie"}}, ErrCredentialKey},
		{"vary user id", Policy{TTL: time.Minute, Vary: []string{"x-user-id"}}, ErrCredentialKey},
		{"vary star", Policy{TTL: time.Minute, Vary: []string{"*"}}, ErrPolicy},
		{"no ttl", Policy{}, ErrPolicy},
		{"negative stale", Policy{TTL: time.Minute, StaleIfError: -1}, ErrPolicy},
		{"empty query name", Policy{TTL: time.Minute, Query: []string{""}}, ErrPolicy},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestKey(t *testing.T) {
	same := []struct {
		name string
		p    Policy
		a, b Request
	}{
		{"query order", search, get("/s?q=x&page=2"), get("/s?page=2&q=x")},
		{"undeclared query", search, get("/s?q=x"), get("/s?q=x&utm=1")},
		{"undeclared header", products, get("/p"), get("/p", "X-Forwarded-Host", "evil")},
		{"credentials", products, get("/p", "Authorization", "Bearer a"), get("/p", "Authorization", "Bearer b")},
		{"dot segments", products, get("/a/../p"), get("/p")},
		{"double slash", products, Request{Method: http.MethodGet, Path: "//p/"}, get("/p")},
		{"header case and spaces", products, get("/p", "accept-language", " fr "), get("/p", "Accept-Language", "fr")},
	}
	for _, tt := range same {
		if Key(tt.p, tt.a) != Key(tt.p, tt.b) {
			t.Errorf("%s: got different keys, want the same", tt.name)
		}
	}
	differ := []struct {
		name string
		p    Policy
		a, b Request
	}{
		{"declared query", search, get("/s?q=x"), get("/s?q=y")},
		{"absent and empty query", search, get("/s"), get("/s?q=")},
		{"declared header", products, get("/p", "Accept-Language", "fr"), get("/p", "Accept-Language", "en")},
		{"absent and empty header", products, get("/p"), get("/p", "Accept-Language", "")},
		{"path", products, get("/p"), get("/q")},
		{"method", products, get("/p"), Request{Method: http.MethodHead, Path: "/p"}},
		{"value boundary", search, get("/s?q=a&page=b"), get("/s?q=a%26page%3Db")},
		{"repeated values", search, get("/s?q=a&q=b"), get("/s?q=a,b")},
		{"route", products, withRoute(get("/p"), "products", "product-service"), withRoute(get("/p"), "products-v2", "product-service")},
		{"service", products, withRoute(get("/p"), "products", "product-service"), withRoute(get("/p"), "products", "partner-service")},
		{"route and service boundary", products, withRoute(get("/p"), "a", "bc"), withRoute(get("/p"), "ab", "c")},
	}
	for _, tt := range differ {
		if Key(tt.p, tt.a) == Key(tt.p, tt.b) {
			t.Errorf("%s: got the same key, want different", tt.name)
		}
	}
	req := get("/p", "Accept-Language", " fr ")
	Key(products, req)
	if got := req.Header.Get("Accept-Language"); got != " fr " {
		t.Errorf("Key changed the request's header to %q, want it untouched", got)
	}
}

func withRoute(r Request, route, service string) Request {
	r.Route, r.Service = route, service
	return r
}

func TestHitMissAge(t *testing.T) {
	c, store, clk := setup(t, Config{})
	b := &backend{}
	r := do(t, c, products, get("/api/v1/products", "Accept-Language", "en"), b)
	if got := r.Header.Get("X-Cache"); got != "MISS" || r.Header.Get("Age") != "" {
		t.Fatalf("first: got X-Cache %q Age %q, want MISS and no Age", got, r.Header.Get("Age"))
	}
	clk.t = clk.t.Add(30 * time.Second)
	r = do(t, c, products, get("/api/v1/products", "Accept-Language", "en"), b)
	if r.Header.Get("X-Cache") != "HIT" || r.Header.Get("Age") != "30" || b.calls != 1 {
		t.Fatalf("second: got X-Cache %q Age %q after %d backend calls, want HIT, Age 30, 1 call", r.Header.Get("X-Cache"), r.Header.Get("Age"), b.calls)
	}
	if r.Header.Get("Content-Type") != "application/json" || !bytes.Contains(r.Body, []byte(`"n":1`)) {
		t.Fatalf("second: got %v %s, want the first answer", r.Header, r.Body)
	}
	r = do(t, c, products, get("/api/v1/products", "Accept-Language", "fr"), b)
	if r.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("other Accept-Language: got %q, want MISS", r.Header.Get("X-Cache"))
	}
	// Past the TTL the entry is ignored although the store still holds it
	// (for stale-if-error).
	clk.t = clk.t.Add(5 * time.Minute)
	r = do(t, c, products, get("/api/v1/products", "Accept-Language", "en"), b)
	if r.Header.Get("X-Cache") != "MISS" || store.Len() != 2 {
		t.Fatalf("after the TTL: got %q with %d entries, want MISS, 2 entries", r.Header.Get("X-Cache"), store.Len())
	}
}

func TestExpiredIgnoredOnRead(t *testing.T) {
	c, store, clk := setup(t, Config{})
	// An entry whose stale time passed and that the store has not deleted.
	req := get("/api/v1/products")
	store.Memory.entries[Key(products, req)] = Entry{Status: 200, Body: []byte("not gzip"), Stored: clk.t.Add(-time.Hour), Fresh: clk.t.Add(-time.Minute), Stale: clk.t}
	b := &backend{}
	if r := do(t, c, products, req, b); r.Header.Get("X-Cache") != "MISS" || b.calls != 1 {
		t.Fatalf("got %q after %d backend calls, want MISS from the backend", r.Header.Get("X-Cache"), b.calls)
	}
}

func TestNeverStored(t *testing.T) {
	noise := make([]byte, 500<<10)
	rand.Read(noise)
	tests := []struct {
		name string
		b    backend
	}{
		{"set-cookie", backend{header: http.Header{"Set-Cookie": {"sid=1"}}}},
		{"private", backend{header: http.Header{"Cache-Control": {"private, max-age=60"}}}},
		{"no-store", backend{header: http.Header{"Cache-Control": {"No-Store"}}}},
		{"no-cache", backend{header: http.Header{"Cache-Control": {"no-cache"}}}},
		{"max-age=0", backend{header: http.Header{"Cache-Control": {"max-age=0"}}}},
		{"500", backend{status: 500}},
		{"503", backend{status: 503}},
		{"404", backend{status: 404}},
		{"301", backend{status: 301}},
		{"206", backend{status: 206}},
		{"vary on an unkeyed header", backend{header: http.Header{"Vary": {"Accept-Language, X-Forwarded-Host"}}}},
		{"vary star", backend{header: http.Header{"Vary": {"*"}}}},
		{"over the item limit after gzip", backend{body: noise}},
		{"older than the ttl", backend{header: http.Header{"Age": {"600"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, store, _ := setup(t, Config{LocalTTL: time.Minute})
			b := tt.b
			for range 2 {
				if r := do(t, c, products, get("/api/v1/products"), &b); r.Header.Get("X-Cache") != "MISS" {
					t.Fatalf("got %q, want MISS", r.Header.Get("X-Cache"))
				}
			}
			if b.calls != 2 || store.Len() != 0 {
				t.Fatalf("got %d backend calls and %d entries, want 2 and 0", b.calls, store.Len())
			}
		})
	}
}

func TestLargeCompressibleBodyStored(t *testing.T) {
	c, _, _ := setup(t, Config{})
	body := bytes.Repeat([]byte(`{"id":"p-1","name":"Widget"},`), 40_000) // 1.1 MB, compresses well
	b := &backend{body: body}
	do(t, c, products, get("/api/v1/products"), b)
	r := do(t, c, products, get("/api/v1/products"), b)
	if r.Header.Get("X-Cache") != "HIT" || !bytes.Equal(r.Body, body) {
		t.Fatalf("got %q with %d bytes, want HIT with the %d-byte body", r.Header.Get("X-Cache"), len(r.Body), len(body))
	}
}

func TestHonoursShorterMaxAge(t *testing.T) {
	c, _, clk := setup(t, Config{})
	b := &backend{header: http.Header{"Cache-Control": {"public, max-age=10"}}}
	do(t, c, products, get("/api/v1/products"), b)
	clk.t = clk.t.Add(10 * time.Second)
	if r := do(t, c, products, get("/api/v1/products"), b); r.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("after max-age: got %q, want MISS", r.Header.Get("X-Cache"))
	}
}

// TestNoCrossUserLeak: SECURITY.md. Two users ask for the same cached route;
// the second gets the first's answer, which must hold nothing of the first
// user, because the backend of a cached route never sees who asks. A
// user-specific route is never cached, even when given a policy by mistake.
func TestNoCrossUserLeak(t *testing.T) {
	c, store, _ := setup(t, Config{LocalTTL: time.Minute})
	b := &backend{}
	alice := get("/api/v1/products", "Authorization", "Bearer alice-token", "X-User-Id", "alice", "X-User-Roles", "admin",
		"Cookie", "sid=alice", "X-Forwarded-For", "198.51.100.1", "X-Request-Id", "req-a")
	bob := get("/api/v1/products", "Authorization", "Bearer bob-token", "X-User-Id", "bob", "X-Request-Id", "req-b")
	do(t, c, products, alice, b)
	r := do(t, c, products, bob, b)
	if r.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("bob: got %q, want HIT", r.Header.Get("X-Cache"))
	}
	for _, secret := range []string{"alice", "admin", "198.51.100.1"} {
		if bytes.Contains(r.Body, []byte(secret)) {
			t.Fatalf("bob's answer holds %q: %s", secret, r.Body)
		}
	}
	for _, h := range []string{"Authorization", "X-User-Id", "X-User-Roles", "Cookie", "X-Forwarded-For"} {
		if v := b.seen[0].Header.Get(h); v != "" {
			t.Fatalf("the backend of a cached route saw %s: %q, want nothing", h, v)
		}
	}
	if b.seen[0].Header.Get("X-Request-Id") != "req-a" {
		t.Fatalf("got X-Request-Id %q at the backend, want the trace header passed", b.seen[0].Header.Get("X-Request-Id"))
	}

	users := Policy{TTL: time.Minute, UserSpecific: true}
	ub := &backend{}
	for _, req := range []Request{get("/api/v1/users/me", "X-User-Id", "alice"), get("/api/v1/users/me", "X-User-Id", "bob")} {
		r := do(t, c, users, req, ub)
		if r.Header.Get("X-Cache") != "BYPASS" {
			t.Fatalf("user-specific route: got %q, want BYPASS", r.Header.Get("X-Cache"))
		}
	}
	// Not cached, so not narrowed: the user's backend still learns who asks.
	if got := ub.seen[1].Header.Get("X-User-Id"); got != "bob" {
		t.Fatalf("user-specific route: got X-User-Id %q at the backend, want bob", got)
	}
	if ub.calls != 2 || store.Len() != 1 {
		t.Fatalf("user-specific route: got %d backend calls and %d entries, want 2 calls and only the products entry", ub.calls, store.Len())
	}
}

// TestNoUnkeyedHeaderPoisoning: SECURITY.md. An attacker's request carries
// headers and query parameters that are not in the key; a backend that
// reflects them would poison the entry every later client gets. The backend
// never sees them, and an answer that says it varies on one is not stored.
func TestNoUnkeyedHeaderPoisoning(t *testing.T) {
	c, _, _ := setup(t, Config{})
	b := &backend{}
	attack := get("/api/v1/search?q=shoes&utm=%3Cscript%3E", "X-Forwarded-Host", "evil.example",
		"X-Original-Url", "/admin", "X-Forwarded-Scheme", "http", "Accept-Language", "en")
	do(t, c, search, attack, b)
	victim := get("/api/v1/search?q=shoes")
	r := do(t, c, search, victim, b)
	if r.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("victim: got %q, want HIT (same key)", r.Header.Get("X-Cache"))
	}
	for _, evil := range []string{"evil.example", "/admin", "script", "utm", "Accept-Language"} {
		if bytes.Contains(r.Body, []byte(evil)) {
			t.Fatalf("victim's answer holds %q: %s", evil, r.Body)
		}
	}
	if got := b.seen[0].Query; len(got) != 1 || got.Get("q") != "shoes" {
		t.Fatalf("backend query: got %v, want only q=shoes", got)
	}

	// A backend that says its answer depends on an unkeyed header is not cached.
	c2, store2, _ := setup(t, Config{})
	vb := &backend{header: http.Header{"Vary": {"X-Forwarded-Host"}}}
	do(t, c2, search, attack, vb)
	if r := do(t, c2, search, victim, vb); r.Header.Get("X-Cache") != "MISS" || store2.Len() != 0 {
		t.Fatalf("Vary on an unkeyed header: got %q with %d entries, want MISS and none", r.Header.Get("X-Cache"), store2.Len())
	}
}

func TestStaleIfError(t *testing.T) {
	c, _, clk := setup(t, Config{})
	b := &backend{}
	do(t, c, products, get("/api/v1/products"), b)
	clk.t = clk.t.Add(5*time.Minute + 10*time.Second)
	b.err = errors.New("connection refused")
	r := do(t, c, products, get("/api/v1/products"), b)
	if r.Header.Get("X-Cache") != "STALE" || r.Header.Get("Age") != "310" || r.Status != 200 {
		t.Fatalf("backend down in the window: got %d %q Age %q, want 200 STALE Age 310", r.Status, r.Header.Get("X-Cache"), r.Header.Get("Age"))
	}
	b.err, b.status = nil, 503
	if r := do(t, c, products, get("/api/v1/products"), b); r.Header.Get("X-Cache") != "STALE" {
		t.Fatalf("backend 503 in the window: got %q, want STALE", r.Header.Get("X-Cache"))
	}
	clk.t = clk.t.Add(time.Minute)
	if r := do(t, c, products, get("/api/v1/products"), b); r.Status != 503 || r.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("after the window: got %d %q, want the backend's 503, MISS", r.Status, r.Header.Get("X-Cache"))
	}
	b.status, b.err = 0, errors.New("connection refused")
	if _, err := c.Do(context.Background(), products, get("/api/v1/products"), b.fetch); err == nil {
		t.Fatal("after the window, backend down: got no error, want the backend's")
	}
}

func TestLocalTier(t *testing.T) {
	c, store, clk := setup(t, Config{LocalTTL: 10 * time.Second})
	b := &backend{}
	do(t, c, products, get("/api/v1/products"), b)
	gets := store.gets.Load()
	for range 5 {
		clk.t = clk.t.Add(time.Second)
		if r := do(t, c, products, get("/api/v1/products"), b); r.Header.Get("X-Cache") != "HIT" {
			t.Fatalf("got %q, want HIT", r.Header.Get("X-Cache"))
		}
	}
	if got := store.gets.Load() - gets; got != 0 {
		t.Fatalf("got %d store reads within the local TTL, want 0", got)
	}
	clk.t = clk.t.Add(5 * time.Second)
	r := do(t, c, products, get("/api/v1/products"), b)
	if r.Header.Get("X-Cache") != "HIT" || r.Header.Get("Age") != "10" || store.gets.Load()-gets != 1 {
		t.Fatalf("after the local TTL: got %q Age %q, %d store reads; want HIT from the store, Age 10, 1 read",
			r.Header.Get("X-Cache"), r.Header.Get("Age"), store.gets.Load()-gets)
	}
}

func TestLocalTierBounded(t *testing.T) {
	c, _, _ := setup(t, Config{LocalTTL: time.Minute, LocalEntries: 3})
	b := &backend{}
	for i := range 10 {
		do(t, c, search, get(fmt.Sprintf("/api/v1/search?q=%d", i)), b)
	}
	if n := len(c.local); n > 3 {
		t.Fatalf("got %d local entries, want at most 3", n)
	}
}

func TestStoreDownNeverFails(t *testing.T) {
	c, store, _ := setup(t, Config{})
	store.fail = true
	b := &backend{}
	for range 2 {
		if r := do(t, c, products, get("/api/v1/products"), b); r.Status != 200 || r.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("got %d %q, want 200 MISS", r.Status, r.Header.Get("X-Cache"))
		}
	}
}

func TestBypass(t *testing.T) {
	c, store, _ := setup(t, Config{})
	b := &backend{}
	post := Request{Method: http.MethodPost, Path: "/api/v1/products", Header: http.Header{"X-User-Id": {"alice"}}}
	for range 2 {
		if r := do(t, c, products, post, b); r.Header.Get("X-Cache") != "BYPASS" {
			t.Fatalf("POST: got %q, want BYPASS", r.Header.Get("X-Cache"))
		}
	}
	bad := Policy{TTL: time.Minute, Vary: []string{"Authorization"}}
	if r := do(t, c, bad, get("/api/v1/products", "Authorization", "Bearer x"), b); r.Header.Get("X-Cache") != "BYPASS" {
		t.Fatalf("policy keyed on Authorization: got %q, want BYPASS", r.Header.Get("X-Cache"))
	}
	if b.calls != 3 || store.Len() != 0 || b.seen[0].Header.Get("X-User-Id") != "alice" {
		t.Fatalf("got %d calls, %d entries, backend X-User-Id %q; want 3, 0, alice", b.calls, store.Len(), b.seen[0].Header.Get("X-User-Id"))
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no store", Config{}},
		{"negative size", Config{Store: NewMemory(nil), MaxItemBytes: -1}},
		{"negative local ttl", Config{Store: NewMemory(nil), LocalTTL: -1}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", tt.name, err)
		}
	}
}

func BenchmarkDo(b *testing.B) {
	for _, local := range []time.Duration{0, time.Minute} {
		b.Run(fmt.Sprintf("hit/local=%s", local), func(b *testing.B) {
			store := &countingStore{Memory: NewMemory(nil)}
			c, _ := New(Config{Store: store, LocalTTL: local})
			be := &backend{body: bytes.Repeat([]byte(`{"id":"p-1","name":"Widget","price":9.99},`), 100)}
			req := get("/api/v1/products", "Accept-Language", "en", "Accept-Encoding", "gzip")
			ctx := context.Background()
			c.Do(ctx, products, req, be.fetch)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.Do(ctx, products, req, be.fetch)
			}
			b.StopTimer()
			b.ReportMetric(float64(store.gets.Load())*1000/float64(b.N), "reads/1000req")
		})
	}
}

func ExampleCache() {
	now := func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	c, err := New(Config{Store: NewMemory(now), Now: now})
	if err != nil {
		panic(err)
	}
	// The design chapter: products for 5 minutes, varied by language.
	products := Policy{TTL: 5 * time.Minute, Vary: []string{"Accept-Language", "Accept-Encoding"}}
	backend := func(_ context.Context, req Request) (*Response, error) {
		return &Response{Status: 200, Header: http.Header{}, Body: []byte("products in " + req.Header.Get("Accept-Language"))}, nil
	}
	for _, lang := range []string{"en", "en", "fr"} {
		req := Request{Method: "GET", Path: "/api/v1/products", Header: http.Header{"Accept-Language": {lang}}}
		r, _ := c.Do(context.Background(), products, req, backend)
		fmt.Println(r.Header.Get("X-Cache"), string(r.Body))
	}
	// Output:
	// MISS products in en
	// HIT products in en
	// MISS products in fr
}

// FuzzCacheKey: two requests that differ in one keyed dimension (route,
// service, method, cleaned path, a declared query value, a declared header
// value) never share a key.
//
//	go test -run '^$' -fuzz FuzzCacheKey -fuzztime 10m ./internal/cache
func FuzzCacheKey(f *testing.F) {
	f.Add("products", "product-service", "GET", "/p", "x", "fr", uint8(0), "other")
	f.Add("a", "bc", "GET", "/p", "", "", uint8(1), "c")
	f.Add("r", "s", "GET", "/a/../p", "q&page=2", " fr ", uint8(3), "/p")
	f.Add("r", "s", "HEAD", "/p", "1", "en", uint8(4), "1,2")
	f.Fuzz(func(t *testing.T, route, service, method, path, q, lang string, dim uint8, other string) {
		p := Policy{TTL: time.Minute, Query: []string{"q"}, Vary: []string{"Accept-Language"}}
		a := Request{Route: route, Service: service, Method: method, Path: path,
			Query: url.Values{"q": {q}}, Header: http.Header{"Accept-Language": {lang}}}
		b := a
		b.Query, b.Header = url.Values{"q": {q}}, http.Header{"Accept-Language": {lang}}
		var differ bool
		switch dim % 6 {
		case 0:
			b.Route, differ = other, other != route
		case 1:
			b.Service, differ = other, other != service
		case 2:
			b.Method, differ = other, other != method
		case 3:
			b.Path, differ = other, cleanPath(other) != cleanPath(path)
		case 4:
			b.Query = url.Values{"q": {other}}
			differ = other != q
		case 5:
			b.Header = http.Header{"Accept-Language": {other}}
			differ = strings.TrimSpace(other) != strings.TrimSpace(lang)
		}
		if differ && Key(p, a) == Key(p, b) {
			t.Fatalf("requests %+v and %+v differ in dimension %d but share key %s", a, b, dim%6, Key(p, a))
		}
	})
}
