package gateway

import (
	"context"
	"github.com/portico-gw/portico/internal/config"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/cache"
	"github.com/portico-gw/portico/internal/route"
)

func TestResponseCache(t *testing.T) {
	tbl, err := route.Parse([]byte(`{"version": 1, "routes": [
		{"id": "products", "match": {"pathPrefix": "/api/v1/products", "methods": ["GET"]}, "service": "product-service", "stripPrefix": "/api/v1",
		 "cache": {"ttl": "5m", "vary": ["Accept-Language"]}},
		{"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "stripPrefix": "/api/v1", "userSpecific": true}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	counting := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			echo(name).ServeHTTP(w, r)
		})
	}
	now := testNow
	c, err := cache.New(cache.Config{Store: cache.NewMemory(func() time.Time { return now }), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{
		Configuration: config.Fixed(tbl, nil), Cache: c, Now: func() time.Time { return now },
		Transport: services{"product-service": counting("product-service"), "user-service": counting("user-service")},
	})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, lang string) (int, string, string, seen) {
		resp, _ := h.Handle(context.Background(), event("GET", path, map[string][]string{"Accept-Language": {lang}, "X-Secret": {"from-client"}}))
		var body seen
		if resp.StatusCode == 200 {
			body = decode[seen](t, resp.Body)
		}
		return resp.StatusCode, first(resp.MultiValueHeaders["X-Cache"]), first(resp.MultiValueHeaders["Age"]), body
	}
	if st, xc, _, body := get("/api/v1/products/1", "en"); st != 200 || xc != "MISS" || body.Path != "/products/1" {
		t.Fatalf("first: got %d %s %s, want 200 MISS from /products/1", st, xc, body.Path)
	} else if _, leaked := body.Headers["X-Secret"]; leaked {
		t.Fatal("an unkeyed client header reached the backend of a cached route (poisoning)")
	}
	now = now.Add(7 * time.Second)
	if st, xc, age, _ := get("/api/v1/products/1", "en"); st != 200 || xc != "HIT" || age != "7" {
		t.Fatalf("second: got %d %s Age %s, want 200 HIT Age 7", st, xc, age)
	}
	if _, xc, _, _ := get("/api/v1/products/1", "fr"); xc != "MISS" {
		t.Fatalf("other Accept-Language: got %s, want MISS", xc)
	}
	if calls.Load() != 2 {
		t.Fatalf("got %d backend calls, want 2 (the hit costs none)", calls.Load())
	}
	for range 2 {
		if st, xc, _, body := get("/api/v1/users/1", "en"); st != 200 || xc != "" || body.Headers["X-User-Id"][0] != "user-123" {
			t.Fatalf("user-specific route: got %d X-Cache %q, want 200 uncached with the caller's identity", st, xc)
		}
	}
	if calls.Load() != 4 {
		t.Fatalf("got %d backend calls, want 4: the user-specific route is never cached", calls.Load())
	}
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
