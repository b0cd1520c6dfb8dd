package route

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// ruled is a table with request rules on its routes and its own IP lists.
const ruled = `{"version": 1,
  "ip": {"deny": ["192.0.2.0/24", "2001:db8:bad::/48"]},
  "routes": [
    {"id": "admin", "match": {"pathPrefix": "/admin"}, "service": "admin-service",
     "ip": {"allow": ["10.0.0.0/8", "2001:db8::/32", "203.0.113.7"], "deny": ["10.9.0.0/16", "::ffff:10.200.0.0/112"]},
     "maxBodyBytes": 1024,
     "requestHeaders": {"set": {"X-Env": "prod"}, "add": {"X-Via": "portico"}, "remove": ["X-Debug"]},
     "responseHeaders": {"allow": ["ETag", "Cache-Control"], "set": {"Strict-Transport-Security": "max-age=63072000"}, "remove": ["Server"]}},
    {"id": "open", "match": {"pathPrefix": "/open"}, "service": "open-service"},
    {"id": "dash", "match": {"path": "/dash"}, "composite": {"calls": [
      {"key": "user", "service": "user-service", "path": "/users/{userId}", "fields": ["id", "name", "address.city"], "rename": {"id": "userId"}},
      {"key": "orders", "service": "order-service", "path": "/orders", "fields": ["id", "total"]},
      {"key": "raw", "service": "raw-service", "path": "/raw"}
    ]}}
  ]}`

func TestIPRules(t *testing.T) {
	table := mustParse(t, ruled)
	admin := table.Lookup("GET", "/admin/x", nil)
	open := table.Lookup("GET", "/open", nil)
	tests := []struct {
		ip            string
		global, route bool // allowed by the document's lists, by admin's
	}{
		{"10.1.2.3", true, true},
		{"10.9.1.1", true, false},          // denied inside an allowed range: deny wins
		{"203.0.113.7", true, true},        // a single address
		{"203.0.113.8", true, false},       // not on the allow list
		{"192.0.2.55", false, false},       // the document denies it
		{"2001:db8::1", true, true},        // IPv6
		{"2001:db8:bad::1", false, true},   // the document denies it, the route would not
		{"::ffff:10.1.2.3", true, true},    // an IPv4-mapped address is its IPv4 address
		{"::ffff:192.0.2.1", false, false}, // in both forms
		{"10.200.0.1", true, false},        // the route's mapped prefix below is 10.200.0.0/16, denied
		{"not an address", false, false},   // fails closed
		{"", false, false},
	}
	for _, tt := range tests {
		if ok, why := table.AllowsIP(tt.ip); ok != tt.global {
			t.Errorf("document lists, %q: got %v (%s), want %v", tt.ip, ok, why, tt.global)
		}
		if ok, why := admin.AllowsIP(tt.ip); ok != tt.route {
			t.Errorf("route lists, %q: got %v (%s), want %v", tt.ip, ok, why, tt.route)
		}
		if ok, _ := open.AllowsIP(tt.ip); !ok {
			t.Errorf("a route without lists, %q: got refused, want allowed", tt.ip)
		}
	}
	if ok, _ := mustParse(t, demo).AllowsIP("garbage"); !ok {
		t.Errorf("a document without lists: got refused, want allowed")
	}
}

func TestHeaderRules(t *testing.T) {
	res := mustParse(t, ruled).Lookup("POST", "/admin", nil)
	req := http.Header{"X-Debug": {"1"}, "X_debug": {"2"}, "X-Env": {"dev", "test"}, "X-Via": {"cdn"}, "Accept": {"a"}}
	res.RequestHeaders().Apply(req)
	want := http.Header{"X-Env": {"prod"}, "X-Via": {"cdn", "portico"}, "Accept": {"a"}}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("request: got %v, want %v (X-Debug removed in any spelling, X-Env set, X-Via added)", req, want)
	}
	resp := http.Header{"Content-Type": {"application/json"}, "Etag": {`"1"`}, "Server": {"nginx"}, "X-Powered-By": {"php"}, "Cache-Control": {"no-cache"}}
	res.ResponseHeaders().Apply(resp)
	want = http.Header{"Content-Type": {"application/json"}, "Etag": {`"1"`}, "Cache-Control": {"no-cache"}, "Strict-Transport-Security": {"max-age=63072000"}}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("response: got %v, want %v (only the allow-list and Content-Type, then the set header)", resp, want)
	}
	if res.MaxBodyBytes() != 1024 {
		t.Errorf("got maxBodyBytes %d, want 1024", res.MaxBodyBytes())
	}
	open := mustParse(t, ruled).Lookup("GET", "/open", nil)
	h := http.Header{"A": {"b"}}
	open.RequestHeaders().Apply(h)
	open.ResponseHeaders().Apply(h)
	if open.MaxBodyBytes() != 0 || len(h) != 1 {
		t.Errorf("a route without rules: got max %d and headers %v, want 0 and unchanged", open.MaxBodyBytes(), h)
	}
}

// TestRulesRefused: rules that could not be meant, or that would touch what
// the gateway owns, are refused with the route and field named.
func TestRulesRefused(t *testing.T) {
	route := func(extra string) string {
		return `{"version": 1, "routes": [{"id": "r", "match": {"pathPrefix": "/r"}, "service": "s"` + extra + `}]}`
	}
	tests := []struct{ doc, want string }{
		{route(`, "maxBodyBytes": 6000000`), "maxBodyBytes 6000000: want 1 to 5242880"},
		{route(`, "maxBodyBytes": -1`), "maxBodyBytes -1"},
		{route(`, "ip": {}`), "ip: give allow, deny or both"},
		{route(`, "ip": {"allow": ["10.0.0.1/8"]}`), `ip.allow[0]: "10.0.0.1/8": has address bits set past /8; write 10.0.0.0/8`},
		{route(`, "ip": {"deny": ["example.com"]}`), `ip.deny[0]: "example.com": want an IP address or a CIDR prefix`},
		{route(`, "ip": {"deny": ["fe80::1%eth0"]}`), `ip.deny[0]`},
		{route(`, "ip": {"deny": ["::ffff:0:0/80"]}`), "has address bits set past /80"},
		{route(`, "requestHeaders": {"set": {"X-User-Id": "root"}}`), "requestHeaders.set: X-User-Id is a header the gateway owns"},
		{route(`, "requestHeaders": {"add": {"x_user_roles": "admin"}}`), "requestHeaders.add: x_user_roles is a header the gateway owns"},
		{route(`, "requestHeaders": {"remove": ["X-Forwarded-For"]}`), "requestHeaders.remove: X-Forwarded-For is a header the gateway owns"},
		{route(`, "requestHeaders": {"set": {"Authorization": "Bearer x"}}`), "Authorization is a header the gateway owns"},
		{route(`, "requestHeaders": {"set": {"X-Request-Id": "1"}}`), "X-Request-Id is a header the gateway owns"},
		{route(`, "requestHeaders": {"set": {"Traceparent": "00-"}}`), "Traceparent is a header the gateway owns"},
		{route(`, "requestHeaders": {"set": {"Host": "evil"}}`), "Host is a header the gateway owns"},
		{route(`, "requestHeaders": {"set": {"X-A": "1"}, "remove": ["x_a"]}`), "X-A is named by both remove and set"},
		{route(`, "requestHeaders": {"set": {"Bad Name": "1"}}`), `"Bad Name" is not a header name`},
		{route(`, "requestHeaders": {"set": {"X-A": "a\r\nX-B: b"}}`), "control characters"},
		{route(`, "requestHeaders": {"allow": ["X-A"]}`), "requestHeaders.allow: an allow-list is for responseHeaders"},
		{route(`, "requestHeaders": {}`), "requestHeaders: give add, set, remove or allow"},
		{route(`, "responseHeaders": {"set": {"RateLimit": "x"}}`), "responseHeaders.set: RateLimit is a header the gateway owns"},
		{route(`, "responseHeaders": {"set": {"Content-Length": "1"}}`), "Content-Length is a header the gateway owns"},
		{route(`, "responseHeaders": {"remove": ["X-Request-Id"]}`), "X-Request-Id is a header the gateway owns"},
		{route(`, "responseHeaders": {"allow": ["Retry-After"]}`), "responseHeaders.allow: Retry-After is a header the gateway sets or strips itself"},
		{route(`, "cache": {"ttl": "1m", "vary": ["Accept-Language"]}, "requestHeaders": {"set": {"accept-language": "en"}}`), "Accept-Language is in cache.vary"},
		{`{"version": 1, "routes": [{"id": "g", "match": {"path": "/g", "methods": ["POST"]}, "requestHeaders": {"set": {"X-A": "1"}},
		   "grpc": {"service": "s", "descriptors": "d", "method": "a.B/C"}}]}`, "a gRPC backend receives only the gateway's metadata"},
		{`{"version": 1, "ip": {"allow": ["300.0.0.0/8"]}, "routes": []}`, `ip.allow[0]: "300.0.0.0/8"`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.doc))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s):\n got %v\nwant an ErrInvalid saying %q", tt.doc, err, tt.want)
		}
	}
}

func TestShapeRefused(t *testing.T) {
	call := func(extra string) string {
		return `{"version": 1, "routes": [{"id": "d", "match": {"path": "/d"}, "composite": {"calls": [{"key": "u", "service": "s", "path": "/u"` + extra + `}]}}]}`
	}
	tests := []struct{ doc, want string }{
		{call(`, "fields": [""]`), `composite.calls[0] (key "u"): fields[0] "": want a field name`},
		{call(`, "fields": ["a..b"]`), `fields[0] "a..b"`},
		{call(`, "fields": ["a", "a.b"]`), `fields: "a" and "a.b" overlap`},
		{call(`, "fields": ["a", "a"]`), `fields: "a" and "a" overlap`},
		{call(`, "fields": ["a"], "rename": {"b": "c"}`), `rename "b": not among the fields kept`},
		{call(`, "rename": {"a": "c", "b": "c"}`), `rename: "a" and "b" would both become "c"`},
		{call(`, "fields": ["a", "b"], "rename": {"a": "b"}`), `rename "a" → "b": "b" is a field kept as it is`},
		{call(`, "rename": {"a": ""}`), `rename "a" → ""`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.doc))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s):\n got %v\nwant an ErrInvalid saying %q", tt.doc, err, tt.want)
		}
	}
	// A swap is a rename, not a collision.
	mustParse(t, call(`, "fields": ["a", "b"], "rename": {"a": "b", "b": "a"}`))
}

func TestShapeApply(t *testing.T) {
	calls, err := mustParse(t, ruled).Lookup("GET", "/dash", nil).Calls(Vars{UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	user, orders, raw := calls[0].Shape, calls[1].Shape, calls[2].Shape
	tests := []struct {
		name  string
		shape *Shape
		in    string
		want  string
	}{
		{"pick and rename", user, `{"id": "u1", "name": "Ada", "email": "ada@example.com", "address": {"city": "Paris", "street": "x"}}`,
			`{"address":{"city":"Paris"},"name":"Ada","userId":"u1"}`},
		{"missing fields are left out", user, `{"id": "u1"}`, `{"userId":"u1"}`},
		{"a nested path through a non-object", user, `{"id": "u1", "address": "Paris"}`, `{"userId":"u1"}`},
		{"each object of an array", orders, `[{"id": 1, "total": 9.5, "items": [1, 2]}, {"id": 2}, 3]`, `[{"id":1,"total":9.5},{"id":2},3]`},
		{"numbers keep their digits", orders, `{"id": 12345678901234567890, "total": 1e400}`, `{"id":12345678901234567890,"total":1e400}`},
		{"no HTML escaping", user, `{"name": "<b>&</b>"}`, `{"name":"<b>&</b>"}`},
		{"a scalar stays as it is", user, `"just text"`, `"just text"`},
		{"no shape", raw, `{"a": 1}`, `{"a": 1}`},
	}
	for _, tt := range tests {
		got, err := tt.shape.Apply([]byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: got %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	if _, err := user.Apply([]byte(`{"id": `)); err == nil {
		t.Errorf("broken JSON: got no error, want one")
	}
	if raw != nil {
		t.Errorf("a call without fields or rename: got shape %+v, want nil", raw)
	}
}
