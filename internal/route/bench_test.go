package route

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// bigTable has 1,000 routes: 250 resources, each with a prefix route, a
// parameterised route, an exact route and a header route.
func bigTable(b *testing.B) *Table {
	var rs []string
	for i := range 250 {
		rs = append(rs,
			fmt.Sprintf(`{"id":"p%d","match":{"pathPrefix":"/api/v1/r%d"},"service":"s%d","stripPrefix":"/api/v1"}`, i, i, i%20),
			fmt.Sprintf(`{"id":"t%d","match":{"path":"/api/v1/r%d/{id}/items/{item}","methods":["GET"]},"service":"s%d"}`, i, i, i%20),
			fmt.Sprintf(`{"id":"e%d","match":{"path":"/api/v1/r%d/stats","methods":["GET"]},"service":"s%d"}`, i, i, i%20),
			fmt.Sprintf(`{"id":"h%d","match":{"pathPrefix":"/api/v1/r%d","headers":[{"name":"X-API-Version","value":"2"}]},"service":"v2"}`, i, i),
		)
	}
	tbl, err := Parse([]byte(`{"version":1,"routes":[` + strings.Join(rs, ",") + `]}`))
	if err != nil {
		b.Fatal(err)
	}
	return tbl
}

// BenchmarkLookup1000 is route lookup in a 1,000-route table (target ≤ 1 µs).
func BenchmarkLookup1000(b *testing.B) {
	tbl := bigTable(b)
	if tbl.Len() != 1000 {
		b.Fatalf("got %d routes, want 1000", tbl.Len())
	}
	h := http.Header{"Accept": {"application/json"}}
	paths := []string{"/api/v1/r137/42/items/7", "/api/v1/r200/stats", "/api/v1/r3/orders/9", "/api/v1/nowhere/1"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tbl.Lookup("GET", paths[i%len(paths)], h)
	}
}

// BenchmarkClean is path cleaning of a typical path with an escape.
func BenchmarkClean(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Clean("/api/v1/users/123/orders%20x")
	}
}
