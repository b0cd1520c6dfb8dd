package route

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	table := mustParse(t, demo)
	tests := []struct {
		name, method, path string
		header             http.Header
		winner             string
		reasons            map[string]string // route → a substring of its reason
	}{
		{"prefix", "GET", "/api/v1/users/1", nil, "users", map[string]string{
			"users":    "matches: path prefix /api/v1/users",
			"users-v2": "header X-Api-Version: want \"2\", got none",
			"orders":   "path: /api/v1/users/1 is not /api/v1/orders or below it",
		}},
		{"header variant", "GET", "/api/v1/users/1", http.Header{"X-Api-Version": {"2"}}, "users-v2", map[string]string{
			"users": `matches, but "users-v2" wins: more header predicates (1) beat fewer (0)`,
		}},
		{"literal beats parameter", "GET", "/shop/main/items/9", nil, "shop-item-special", map[string]string{
			"item": `matches, but "shop-item-special" wins: a literal segment beats a parameter at segment 2`,
		}},
		{"exact beats parameterised", "GET", "/api/v1/orders/latest", nil, "order-latest", map[string]string{
			"order":  `matches, but "order-latest" wins: an exact path beats a parameterised path`,
			"orders": `matches, but "order-latest" wins: an exact path beats a prefix`,
		}},
		{"methods", "POST", "/api/v1/products", nil, "", map[string]string{
			"products": "method: POST is not one of GET",
		}},
		{"a longer prefix", "GET", "/api/v2/x", nil, "v2", map[string]string{"v2": "matches: path prefix /api/v2"}},
		{"parameterised path", "GET", "/shop/a/items", nil, "", map[string]string{"item": "path: /shop/a/items does not fit /shop/{shop}/items/{item}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := table.Explain(tt.method, tt.path, tt.header)
			got := ""
			if e.Winner != nil {
				got = e.Winner.ID
			}
			if got != tt.winner {
				t.Fatalf("got winner %q, want %q", got, tt.winner)
			}
			if len(e.Routes) != table.Len() {
				t.Fatalf("got %d verdicts, want one per route (%d)", len(e.Routes), table.Len())
			}
			for _, v := range e.Routes {
				if want, ok := tt.reasons[v.ID]; ok && !strings.Contains(v.Reason, want) {
					t.Errorf("route %s: got %q, want it to say %q", v.ID, v.Reason, want)
				}
				if v.Wins != (v.ID == tt.winner) {
					t.Errorf("route %s: got wins %v, want %v", v.ID, v.Wins, v.ID == tt.winner)
				}
			}
		})
	}
}

// TestExplainAgreesWithLookup: on random requests, Explain's winner is
// Lookup's, exactly one route wins, and every route that matches and does
// not win says who does.
func TestExplainAgreesWithLookup(t *testing.T) {
	table := mustParse(t, demo)
	r := rand.New(rand.NewPCG(3, 4))
	segs := []string{"api", "v1", "v2", "users", "orders", "latest", "products", "shop", "main", "items", "1", "user-dashboard", "notifications"}
	methods := []string{"GET", "POST", "DELETE", "HEAD"}
	for range 5000 {
		var b strings.Builder
		for range 1 + r.IntN(5) {
			b.WriteString("/" + segs[r.IntN(len(segs))])
		}
		path := b.String()
		h := http.Header{}
		if r.IntN(2) == 0 {
			h.Set("X-Api-Version", "2")
		}
		if r.IntN(2) == 0 {
			h.Set("Accept-Language", "fr-CA")
		}
		method := methods[r.IntN(len(methods))]
		res := table.Lookup(method, path, h)
		e := table.Explain(method, path, h)
		if e.Winner != res.Route {
			t.Fatalf("%s %s %v: got winner %v, Lookup says %v", method, path, h, e.Winner, res.Route)
		}
		wins := 0
		for _, v := range e.Routes {
			if v.Wins {
				wins++
			}
			if v.Matches && !v.Wins && !strings.Contains(v.Reason, "wins:") {
				t.Fatalf("%s %s: route %s matches but says %q", method, path, v.ID, v.Reason)
			}
		}
		if (res.Route != nil) != (wins == 1) || wins > 1 {
			t.Fatalf("%s %s: got %d winners, Lookup found %v", method, path, wins, res.Route)
		}
	}
}
