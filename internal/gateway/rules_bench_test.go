package gateway

import (
	"io"
	"log/slog"
	"testing"

	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/route"
)

// BenchmarkRequestRules measures what the per-route request rules cost, side
// by side in one run (go test -count N interleaves the two): "none" is a
// route without rules (only the steps' checks that there are none), "rules"
// the same route with an IP allow list of three networks and a document deny
// list, a body limit, request header rules and a response allow-list with a
// header set, in process with the fixed backend.
//
//	go test -run '^$' -bench RequestRules -benchmem -count 8 ./internal/gateway/
func BenchmarkRequestRules(b *testing.B) {
	for _, tc := range []struct{ name, doc string }{
		{"none", `{"version": 1, "routes": [{"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "stripPrefix": "/api/v1"}]}`},
		{"rules", `{"version": 1, "ip": {"deny": ["192.0.2.0/24"]}, "routes": [{"id": "users", "match": {"pathPrefix": "/api/v1/users"},
			"service": "user-service", "stripPrefix": "/api/v1", "maxBodyBytes": 4096,
			"ip": {"allow": ["10.0.0.0/8", "203.0.113.0/24", "2001:db8::/32"]},
			"requestHeaders": {"set": {"X-Partner": "yes"}, "remove": ["X-Debug"]},
			"responseHeaders": {"allow": ["ETag"], "set": {"Cache-Control": "no-store"}}}]}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tbl, err := route.Parse([]byte(tc.doc))
			if err != nil {
				b.Fatal(err)
			}
			h, err := New(Config{
				Configuration: config.Fixed(tbl, nil), Transport: fixedBackend{},
				Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: io.Discard,
			})
			if err != nil {
				b.Fatal(err)
			}
			runHandler(b, h, benchEvent("/api/v1/users/123"))
		})
	}
}
