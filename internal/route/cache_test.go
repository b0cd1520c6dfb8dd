package route

import (
	"strings"
	"testing"
	"time"
)

func TestCachePolicyValidation(t *testing.T) {
	doc := func(route string) []byte {
		return []byte(`{"version": 1, "routes": [` + route + `]}`)
	}
	tests := []struct {
		name, route, want string
	}{
		{"cached products", `{"id": "products", "match": {"pathPrefix": "/api/v1/products"}, "service": "product-service", "cache": {"ttl": "5m", "vary": ["Accept-Language", "Accept-Encoding"]}}`, ""},
		{"user-specific with a cache", `{"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "userSpecific": true, "cache": {"ttl": "1m"}}`, "user-specific answers are never cached"},
		{"keyed on Authorization", `{"id": "p", "match": {"pathPrefix": "/p"}, "service": "s", "cache": {"ttl": "1m", "vary": ["authorization"]}}`, "cache.vary: Authorization would put credentials"},
		{"keyed on an identity header", `{"id": "p", "match": {"pathPrefix": "/p"}, "service": "s", "cache": {"ttl": "1m", "vary": ["X-User-Id"]}}`, "cache.vary: X-User-Id"},
		{"TTL too short", `{"id": "p", "match": {"pathPrefix": "/p"}, "service": "s", "cache": {"ttl": "500ms"}}`, "cache: TTL 500ms"},
		{"composite", `{"id": "d", "match": {"path": "/d"}, "composite": {"calls": [{"key": "u", "service": "s", "path": "/u"}]}, "cache": {"ttl": "1m"}}`, "only a route with a service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl, err := Parse(doc(tt.route))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want a valid document", err)
				}
				p, ok := tbl.Lookup("GET", "/api/v1/products/1", nil).CachePolicy()
				if !ok || p.TTL != 5*time.Minute || len(p.Vary) != 2 || p.UserSpecific {
					t.Fatalf("got policy %+v, %v; want 5m varied by two headers", p, ok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	tbl, err := Parse(doc(`{"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "userSpecific": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tbl.Lookup("GET", "/api/v1/users/1", nil).CachePolicy(); ok {
		t.Fatal("a user-specific route without a cache: got a policy, want none")
	}
}
