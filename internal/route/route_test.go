package route

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// demo is the design chapter's table, as terraform/local writes it.
const demo = `{
  "version": 1,
  "revision": "test",
  "routes": [
    {"id": "users", "match": {"pathPrefix": "/api/v1/users"}, "service": "user-service", "stripPrefix": "/api/v1"},
    {"id": "users-v2", "match": {"pathPrefix": "/api/v1/users", "version": "2"}, "service": "api-v2-service", "stripPrefix": "/api/v1"},
    {"id": "products", "match": {"pathPrefix": "/api/v1/products", "methods": ["GET"]}, "service": "product-service", "stripPrefix": "/api/v1"},
    {"id": "products-fr", "match": {"pathPrefix": "/api/v1/products", "methods": ["GET"], "headers": [{"name": "accept-language", "prefix": "fr"}]},
     "service": "french-content-service", "stripPrefix": "/api/v1"},
    {"id": "orders", "match": {"pathPrefix": "/api/v1/orders"}, "service": "order-service", "stripPrefix": "/api/v1", "timeout": "30s"},
    {"id": "order", "match": {"path": "/api/v1/orders/{id}", "methods": ["GET", "DELETE"]}, "service": "order-service", "stripPrefix": "/api/v1", "timeout": "30s"},
    {"id": "order-latest", "match": {"path": "/api/v1/orders/latest", "methods": ["GET"]}, "service": "order-service", "stripPrefix": "/api/v1"},
    {"id": "notifications", "match": {"pathPrefix": "/api/v1/notifications"}, "service": "notification-service", "stripPrefix": "/api/v1"},
    {"id": "v2", "match": {"pathPrefix": "/api/v2"}, "service": "api-v2-service", "stripPrefix": "/api/v2"},
    {"id": "item", "match": {"path": "/shop/{shop}/items/{item}", "methods": ["GET"]}, "service": "product-service"},
    {"id": "shop-item-special", "match": {"path": "/shop/main/items/{item}", "methods": ["GET"]}, "service": "product-service"},
    {"id": "dashboard", "match": {"path": "/user-dashboard"}, "timeout": "5s", "allowClientRequestId": true,
     "composite": {"calls": [
       {"key": "user", "service": "user-service", "path": "/users/{userId}"},
       {"key": "orders", "service": "order-service", "path": "/orders?userId={userId}&limit=5", "timeout": "2s", "optional": true},
       {"key": "notifications", "service": "notification-service", "path": "/notifications?userId={userId}&unread=true&q={query.q}", "optional": true}
     ]}}
  ]
}`

func mustParse(t testing.TB, doc string) *Table {
	t.Helper()
	tbl, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestLookup(t *testing.T) {
	tbl := mustParse(t, demo)
	tests := []struct {
		name, method, path string
		header             http.Header
		route, target      string
		allow              []string
	}{
		{"prefix with strip", "GET", "/api/v1/users/123", nil, "users", "/users/123", nil},
		{"prefix itself", "POST", "/api/v1/users", nil, "users", "/users", nil},
		{"segment boundary", "GET", "/api/v1/usersX", nil, "", "", nil},
		{"version header", "GET", "/api/v1/users/123", http.Header{"X-Api-Version": {"2"}}, "users-v2", "/users/123", nil},
		{"other version", "GET", "/api/v1/users/123", http.Header{"X-Api-Version": {"3"}}, "users", "/users/123", nil},
		{"GET products", "GET", "/api/v1/products/456", nil, "products", "/products/456", nil},
		{"POST products is 405", "POST", "/api/v1/products", nil, "", "", []string{"GET"}},
		{"french products", "GET", "/api/v1/products/456", http.Header{"Accept-Language": {"fr-CA,fr;q=0.9"}}, "products-fr", "/products/456", nil},
		{"french is case-insensitive", "GET", "/api/v1/products", http.Header{"Accept-Language": {"FR"}}, "products-fr", "/products", nil},
		{"first header value decides", "GET", "/api/v1/products", http.Header{"Accept-Language": {"en", "fr"}}, "products", "/products", nil},
		{"orders prefix", "POST", "/api/v1/orders", nil, "orders", "/orders", nil},
		{"parameterised beats prefix", "GET", "/api/v1/orders/789", nil, "order", "/orders/789", nil},
		{"exact beats parameterised", "GET", "/api/v1/orders/latest", nil, "order-latest", "/orders/latest", nil},
		{"method falls back to prefix", "PUT", "/api/v1/orders/789", nil, "orders", "/orders/789", nil},
		{"exact, other method falls to template", "DELETE", "/api/v1/orders/latest", nil, "order", "/orders/latest", nil},
		{"below a template is the prefix", "GET", "/api/v1/orders/789/items", nil, "orders", "/orders/789/items", nil},
		{"version prefix", "GET", "/api/v2/users/1", nil, "v2", "/users/1", nil},
		{"version prefix root", "GET", "/api/v2", nil, "v2", "/", nil},
		{"literal beats parameter at first difference", "GET", "/shop/main/items/9", nil, "shop-item-special", "/shop/main/items/9", nil},
		{"template", "GET", "/shop/other/items/9", nil, "item", "/shop/other/items/9", nil},
		{"template wrong method", "POST", "/shop/other/items/9", nil, "", "", []string{"GET"}},
		{"template too long", "GET", "/shop/other/items/9/x", nil, "", "", nil},
		{"composite", "GET", "/user-dashboard", nil, "dashboard", "/user-dashboard", nil},
		{"composite is GET only", "POST", "/user-dashboard", nil, "", "", []string{"GET"}},
		{"case-sensitive", "GET", "/API/v1/users", nil, "", "", nil},
		{"root", "GET", "/", nil, "", "", nil},
		{"no route", "GET", "/admin", nil, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tbl.Lookup(tt.method, tt.path, tt.header)
			got := ""
			if res.Route != nil {
				got = res.Route.ID
			}
			if got != tt.route {
				t.Fatalf("got route %q (allow %v), want %q", got, res.Allow, tt.route)
			}
			if res.Route != nil {
				if tgt := res.Target(tt.path); tgt != tt.target {
					t.Errorf("got target %q, want %q", tgt, tt.target)
				}
			}
			if !slices.Equal(res.Allow, tt.allow) {
				t.Errorf("got Allow %v, want %v", res.Allow, tt.allow)
			}
		})
	}
}

func TestResultHelpers(t *testing.T) {
	tbl := mustParse(t, demo)
	res := tbl.Lookup("GET", "/shop/s1/items/i2", nil)
	if p := res.Params("/shop/s1/items/i2"); p["shop"] != "s1" || p["item"] != "i2" || len(p) != 2 {
		t.Errorf("got params %v, want shop=s1 item=i2", p)
	}
	if got := tbl.Lookup("GET", "/api/v1/orders/1", nil).Timeout(); got != 30*time.Second {
		t.Errorf("orders timeout: got %s, want 30s", got)
	}
	if got := tbl.Lookup("GET", "/api/v1/users/1", nil).Timeout(); got != DefaultTimeout {
		t.Errorf("users timeout: got %s, want the default %s", got, DefaultTimeout)
	}
	calls, err := tbl.Lookup("GET", "/user-dashboard", nil).Calls(Vars{UserID: "a b?c", Query: url.Values{"q": {"x&y=1"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Outgoing{
		{Key: "user", Service: "user-service", Method: "GET", Path: "/users/a%20b%3Fc", Timeout: 5 * time.Second},
		{Key: "orders", Service: "order-service", Method: "GET", Path: "/orders", RawQuery: "userId=a+b%3Fc&limit=5", Timeout: 2 * time.Second, Optional: true},
		{Key: "notifications", Service: "notification-service", Method: "GET", Path: "/notifications", RawQuery: "userId=a+b%3Fc&unread=true&q=x%26y%3D1", Timeout: 5 * time.Second, Optional: true},
	}
	if !slices.Equal(calls, want) {
		t.Errorf("got calls\n%+v\nwant\n%+v", calls, want)
	}
	// A path variable fills exactly one segment, or the call is refused.
	for _, id := range []string{"", ".", "..", "a/b", `a\b`, "../admin"} {
		if _, err := tbl.Lookup("GET", "/user-dashboard", nil).Calls(Vars{UserID: id}); !errors.Is(err, ErrBadPath) {
			t.Errorf("user id %q: got %v, want ErrBadPath", id, err)
		}
	}
	if got := tbl.ServiceTimeouts(); got["order-service"] != 30*time.Second || got["user-service"] != 5*time.Second || len(got) != 3 {
		t.Errorf("got service timeouts %v, want order-service 30s, user-service 5s (dashboard), notification-service 5s", got)
	}
	if p := tbl.TimeoutProblems(APIGatewayTimeout); len(p) != 2 || !strings.Contains(p[0], "29s") || !strings.Contains(p[0], "at most 27s") {
		t.Errorf("got problems %q, want two about the 29s integration timeout", p)
	}
	if p := tbl.TimeoutProblems(32 * time.Second); len(p) != 0 {
		t.Errorf("behind a 32 s integration timeout: got problems %q, want none (30 s routes fit)", p)
	}
}

// A route fits behind the integration timeout less RouteMargin, not one
// millisecond more.
func TestTimeoutProblemsBoundary(t *testing.T) {
	for _, tt := range []struct {
		timeout string
		fits    bool
	}{{"27s", true}, {"27001ms", false}} {
		tbl, err := Parse([]byte(`{"version":1,"routes":[{"id":"a","match":{"pathPrefix":"/a"},"service":"s","timeout":"` + tt.timeout + `"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(tbl.TimeoutProblems(29*time.Second)) == 0; got != tt.fits {
			t.Errorf("timeout %s behind 29 s: got fits %v, want %v", tt.timeout, got, tt.fits)
		}
	}
}

func TestValidation(t *testing.T) {
	route := func(s string) string { return `{"version":1,"routes":[` + s + `]}` }
	svc := `"service":"s"`
	tests := []struct {
		name, doc, want string
	}{
		{"not JSON", `{`, "unexpected EOF"},
		{"unknown field", `{"version":1,"routes":[],"extra":1}`, `unknown field "extra"`},
		{"trailing data", `{"version":1,"routes":[]} {}`, "data after the document"},
		{"version", `{"version":2,"routes":[]}`, "version 2: want 1"},
		{"no id", route(`{"match":{"pathPrefix":"/a"},` + svc + `}`), `routes[0]: id ""`},
		{"bad id", route(`{"id":"a b","match":{"pathPrefix":"/a"},` + svc + `}`), `id "a b"`},
		{"duplicate id", route(`{"id":"a","match":{"pathPrefix":"/a"},` + svc + `},{"id":"a","match":{"pathPrefix":"/b"},` + svc + `}`), `routes[1]: id "a" is also the id of routes[0]`},
		{"no path", route(`{"id":"a","match":{},` + svc + `}`), "match: set pathPrefix or path"},
		{"both paths", route(`{"id":"a","match":{"pathPrefix":"/a","path":"/a"},` + svc + `}`), "not both"},
		{"unclean prefix", route(`{"id":"a","match":{"pathPrefix":"/a/"},` + svc + `}`), `match.pathPrefix "/a/": want a clean path`},
		{"relative prefix", route(`{"id":"a","match":{"pathPrefix":"a"},` + svc + `}`), `want an absolute path`},
		{"dot-dot prefix", route(`{"id":"a","match":{"pathPrefix":"/a/../b"},` + svc + `}`), `want a clean path`},
		{"parameter in prefix", route(`{"id":"a","match":{"pathPrefix":"/a/{x}"},` + svc + `}`), `want a clean path`},
		{"partial parameter", route(`{"id":"a","match":{"path":"/a/x{y}"},` + svc + `}`), `must be a whole segment`},
		{"bad parameter", route(`{"id":"a","match":{"path":"/a/{1x}"},` + svc + `}`), `parameter "{1x}"`},
		{"repeated parameter", route(`{"id":"a","match":{"path":"/a/{x}/{x}"},` + svc + `}`), `appears twice`},
		{"parameter hides identity", route(`{"id":"a","match":{"path":"/a/{userId}"},` + svc + `}`), `hide the identity variable`},
		{"lower-case method", route(`{"id":"a","match":{"pathPrefix":"/a","methods":["get"]},` + svc + `}`), `match.methods[0] "get"`},
		{"repeated method", route(`{"id":"a","match":{"pathPrefix":"/a","methods":["GET","GET"]},` + svc + `}`), `GET listed twice`},
		{"header without value", route(`{"id":"a","match":{"pathPrefix":"/a","headers":[{"name":"X"}]},` + svc + `}`), `set value or prefix`},
		{"header name", route(`{"id":"a","match":{"pathPrefix":"/a","headers":[{"name":"X Y","value":"1"}]},` + svc + `}`), `name "X Y"`},
		{"two predicates on a header", route(`{"id":"a","match":{"pathPrefix":"/a","headers":[{"name":"x","value":"1"},{"name":"X","prefix":"2"}]},` + svc + `}`), `header X has two predicates`},
		{"version and header", route(`{"id":"a","match":{"pathPrefix":"/a","version":"2","headers":[{"name":"X-API-Version","value":"1"}]},` + svc + `}`), `predicate on X-Api-Version already`},
		{"no target", route(`{"id":"a","match":{"pathPrefix":"/a"}}`), `set service or composite`},
		{"bad service", route(`{"id":"a","match":{"pathPrefix":"/a"},"service":"evil.com:80/x"}`), `service "evil.com:80/x"`},
		{"negative timeout", route(`{"id":"a","match":{"pathPrefix":"/a"},` + svc + `,"timeout":"-1s"}`), `timeout -1s`},
		{"numeric timeout", route(`{"id":"a","match":{"pathPrefix":"/a"},` + svc + `,"timeout":30}`), `want a string such as "30s"`},
		{"huge timeout", route(`{"id":"a","match":{"pathPrefix":"/a"},` + svc + `,"timeout":"1h"}`), `up to 15m0s`},
		{"strip not a prefix", route(`{"id":"a","match":{"pathPrefix":"/api/v1/users"},` + svc + `,"stripPrefix":"/api/v2"}`), `stripPrefix "/api/v2"`},
		{"strip partial segment", route(`{"id":"a","match":{"pathPrefix":"/api/v1/users"},` + svc + `,"stripPrefix":"/api/v"}`), `stripPrefix "/api/v"`},
		{"strip a parameter", route(`{"id":"a","match":{"path":"/a/{x}"},` + svc + `,"stripPrefix":"/a/b"}`), `stripPrefix "/a/b"`},
		{"tie: same prefix", route(`{"id":"a","match":{"pathPrefix":"/a"},` + svc + `},{"id":"b","match":{"pathPrefix":"/a"},` + svc + `}`), `routes "a" and "b" tie`},
		{"tie: different headers", route(`{"id":"a","match":{"pathPrefix":"/a","headers":[{"name":"X","value":"1"}]},` + svc + `},{"id":"b","match":{"pathPrefix":"/a","headers":[{"name":"Y","value":"1"}]},` + svc + `}`), `tie`},
		{"tie: prefix predicates overlap", route(`{"id":"a","match":{"pathPrefix":"/a","headers":[{"name":"X","prefix":"fr"}]},` + svc + `},{"id":"b","match":{"pathPrefix":"/a","headers":[{"name":"X","value":"FR-ca"}]},` + svc + `}`), `tie`},
		{"tie: templates", route(`{"id":"a","match":{"path":"/a/{x}"},` + svc + `},{"id":"b","match":{"path":"/a/{y}"},` + svc + `}`), `tie`},
		{"tie: methods intersect", route(`{"id":"a","match":{"path":"/a","methods":["GET","PUT"]},` + svc + `},{"id":"b","match":{"path":"/a","methods":["PUT"]},` + svc + `}`), `tie`},
		{"no calls", route(`{"id":"a","match":{"path":"/a"},"composite":{"calls":[]}}`), `want 1 to 16 calls`},
		{"composite and service", route(`{"id":"a","match":{"path":"/a"},` + svc + `,"composite":{"calls":[{"key":"k","service":"s","path":"/"}]}}`), `not both`},
		{"composite strip", route(`{"id":"a","match":{"path":"/a"},"stripPrefix":"/a","composite":{"calls":[{"key":"k","service":"s","path":"/"}]}}`), `stripPrefix: a composite route`},
		{"call key _meta", route(`{"id":"a","match":{"path":"/a"},"composite":{"calls":[{"key":"_meta","service":"s","path":"/"}]}}`), `calls[0] (key "_meta"): key`},
		{"call key twice", route(`{"id":"a","match":{"path":"/a"},"composite":{"calls":[{"key":"k","service":"s","path":"/"},{"key":"k","service":"s","path":"/"}]}}`), `key "k" is used twice`},
		{"unknown variable", route(`{"id":"a","match":{"path":"/a"},"composite":{"calls":[{"key":"k","service":"s","path":"/u/{id}"}]}}`), `unknown variable {id}`},
		{"unbalanced template", route(`{"id":"a","match":{"path":"/a"},"composite":{"calls":[{"key":"k","service":"s","path":"/u/{userId"}]}}`), `unbalanced {`},
		{"unclean call path", route(`{"id":"a","match":{"path":"/a"},"composite":{"calls":[{"key":"k","service":"s","path":"/u/../{userId}"}]}}`), `must be a clean absolute path`},
		{"call timeout above route's", route(`{"id":"a","match":{"path":"/a"},"timeout":"1s","composite":{"calls":[{"key":"k","service":"s","path":"/","timeout":"2s"}]}}`), `up to the route's timeout 1s`},
		{"cached route matching a header it does not vary on", route(`{"id":"a","match":{"pathPrefix":"/a","version":"2"},` + svc + `,"cache":{"ttl":"1m","vary":["Accept-Language"]}}`), `the route matches on the header X-Api-Version, so its cache must vary on it`},
		{"cached route matching a header prefix it does not vary on", route(`{"id":"a","match":{"pathPrefix":"/a","headers":[{"name":"Accept-Language","prefix":"fr"}]},` + svc + `,"cache":{"ttl":"1m"}}`), `must vary on it: add "Accept-Language"`},
		{"call method", route(`{"id":"a","match":{"path":"/a"},"composite":{"calls":[{"key":"k","service":"s","path":"/","method":"get"}]}}`), `method "get"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one wrapping ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

// Routes that look alike but can never match the same request are valid.
func TestNoFalseTies(t *testing.T) {
	docs := []string{
		`{"id":"a","match":{"pathPrefix":"/a","methods":["GET"]},"service":"s"},{"id":"b","match":{"pathPrefix":"/a","methods":["POST"]},"service":"s"}`,
		`{"id":"a","match":{"pathPrefix":"/a","headers":[{"name":"X","value":"1"}]},"service":"s"},{"id":"b","match":{"pathPrefix":"/a","headers":[{"name":"x","value":"2"}]},"service":"s"}`,
		`{"id":"a","match":{"path":"/a/{x}/c"},"service":"s"},{"id":"b","match":{"path":"/a/{y}/d"},"service":"s"}`,
		`{"id":"a","match":{"path":"/a/{x}"},"service":"s"},{"id":"b","match":{"path":"/a/{x}/{y}"},"service":"s"}`,
		`{"id":"a","match":{"pathPrefix":"/"},"service":"s"},{"id":"b","match":{"path":"/"},"service":"s"}`,
	}
	for _, d := range docs {
		if _, err := Parse([]byte(`{"version":1,"routes":[` + d + `]}`)); err != nil {
			t.Errorf("%s: got %v, want valid", d, err)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"", "/", false},
		{"/", "/", false},
		{"/api/v1/users", "/api/v1/users", false},
		{"/api/v1/users/", "/api/v1/users", false},
		{"//api//v1///users", "/api/v1/users", false},
		{"/api/v1/users/../orders", "/api/v1/orders", false},
		{"/api/v1/users/%2e%2e/orders", "/api/v1/orders", false},
		{"/api/v1/users/%2E%2e/%2E/orders", "/api/v1/orders", false},
		{"/../../etc/passwd", "/etc/passwd", false},
		{"/a/./b/.", "/a/b", false},
		{"/a/..b/c", "/a/..b/c", false},
		{"/caf%C3%A9", "/café", false},
		{"/a%20b", "/a b", false},
		{"/api/v1/users%2f..%2forders", "", true},
		{"/api/v1/users%2F1", "", true},
		{"/a%5c..%5cb", "", true},
		{"/a%252e%252e", "", true},
		{"/a%3bx=1", "", true},
		{"/a;x=1/b", "", true},
		{"/a\\b", "", true},
		{"/a%00", "", true},
		{"/a\x00", "", true},
		{"/a%0d%0aX: 1", "", true},
		{"/a%3f", "", true},
		{"/a%23", "", true},
		{"/a%", "", true},
		{"/a%2", "", true},
		{"/a%zz", "", true},
		{"/a%ff", "", true},
		{"a/b", "", true},
		{"/" + strings.Repeat("a", MaxPathBytes), "", true},
	}
	for _, tt := range tests {
		got, err := Clean(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrBadPath) {
				t.Errorf("Clean(%q): got %q, %v, want ErrBadPath", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Clean(%q): got %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}
