//go:build e2e

package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
)

// Per-route request rules through the stack, on the demo's partner route
// (terraform/local documents.tf): served only from partner networks, bodies
// of at most 256 bytes, X-Partner-Gateway set and X-Debug removed on the way
// in, only Content-Type and ETag of the backend's headers on the way out,
// Cache-Control and X-Content-Type-Options added.
//
// The address rules act on the sourceIp API Gateway gives. MiniStack takes
// it from the client's X-Forwarded-For (AWS takes the connection's peer and
// ignores the header), which lets these tests choose the address; the
// unit tests (internal/gateway TestRequestRules) show that the gateway
// itself never reads X-Forwarded-For.

func partnerCall(t *testing.T, method, ip, body string, extra map[string]string) answer {
	t.Helper()
	h := bearer(token(t, devtoken.Claims{Subject: "partner-" + randomID(t)}))
	h["X-Forwarded-For"] = ip
	for k, v := range extra {
		h[k] = v
	}
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
		return send(t, method, "/partner/v1/users/p1", rd, h)
	}
	return call(t, method, "/partner/v1/users/p1", h)
}

func TestRequestRulesThroughTheStack(t *testing.T) {
	tests := []struct {
		name, method, ip, body string
		want                   int
	}{
		{"a partner network", "GET", "10.20.30.40", "", http.StatusOK},
		{"a partner network over IPv6", "GET", "2001:db8::42", "", http.StatusOK},
		{"another network", "GET", "198.51.100.77", "", http.StatusForbidden},
		{"a body at the limit", "POST", "10.20.30.41", strings.Repeat("x", 256), http.StatusOK},
		{"a body over the limit", "POST", "10.20.30.42", strings.Repeat("x", 257), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := partnerCall(t, tt.method, tt.ip, tt.body, nil)
			if a.status != tt.want {
				t.Fatalf("got %d %s, want %d", a.status, a.body, tt.want)
			}
			if tt.want != http.StatusOK {
				if body := jsonBody[map[string]any](t, a); body["message"] == nil || body["requestId"] == nil {
					t.Fatalf("got %s, want the gateway's JSON answer", a.body)
				}
			}
		})
	}
}

// The route table's own deny list refuses an address on every route.
func TestDeniedNetworkThroughTheStack(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-denied"}))
	h["X-Forwarded-For"] = "192.0.2.9"
	for _, path := range []string{"/api/v1/users/1", "/api/v1/products", "/user-dashboard"} {
		if a := call(t, "GET", path, h); a.status != http.StatusForbidden {
			t.Errorf("%s from 192.0.2.9: got %d %s, want 403", path, a.status, a.body)
		}
	}
}

func TestHeaderRulesThroughTheStack(t *testing.T) {
	a := partnerCall(t, "GET", "10.9.8.7", "", map[string]string{
		"X-Debug": "1", "X-Partner-Gateway": "spoofed", "X-Demo-Redirect": "/users/p2",
	})
	if a.status != http.StatusFound {
		t.Fatalf("got %d %s, want the backend's 302", a.status, a.body)
	}
	// The backend's Location is not on the route's allow-list.
	if loc := a.header.Get("Location"); loc != "" {
		t.Errorf("got Location %q, want it dropped by the response allow-list", loc)
	}
	if a.header.Get("Cache-Control") != "no-store" || a.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("got Cache-Control %q and X-Content-Type-Options %q, want no-store and nosniff", a.header.Get("Cache-Control"), a.header.Get("X-Content-Type-Options"))
	}
	if a.header.Get("X-Request-Id") == "" {
		t.Errorf("got no X-Request-Id, want the gateway's own headers after the rules")
	}
	ok := partnerCall(t, "GET", "10.9.8.7", "", map[string]string{"X-Debug": "1", "X_Debug": "2", "X-Partner-Gateway": "spoofed"})
	got := jsonBody[backend.Answer](t, ok)
	if vs := got.Headers["X-Partner-Gateway"]; len(vs) != 1 || vs[0] != "portico" {
		t.Errorf("backend X-Partner-Gateway: got %q, want [portico]", vs)
	}
	for k := range got.Headers {
		if strings.EqualFold(strings.ReplaceAll(k, "_", "-"), "X-Debug") {
			t.Errorf("backend got %s: want X-Debug removed in every spelling", k)
		}
	}
	if vs := got.Headers["X-User-Id"]; len(vs) != 1 || !strings.HasPrefix(vs[0], "partner-") {
		t.Errorf("backend X-User-Id: got %q, want the gateway's identity", vs)
	}
}

// The user-summary composite keeps only the fields a client shows.
func TestCompositeFieldsThroughTheStack(t *testing.T) {
	a := call(t, "GET", "/user-summary", bearer(token(t, devtoken.Claims{Subject: "user-77"})))
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	var got struct {
		User   map[string]json.RawMessage `json:"user"`
		Orders map[string]json.RawMessage `json:"orders"`
		Meta   map[string]any             `json:"_meta"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.User) != 1 || string(got.User["profile"]) != `{"id":"user-77","name":"Demo User user-77"}` {
		t.Errorf("user: got %s, want only profile {id, name}", a.body)
	}
	if len(got.Orders) != 1 || got.Orders["orders"] == nil || got.Meta["orders"] == nil {
		t.Errorf("orders: got %s, want only orders, and _meta kept", a.body)
	}
}
