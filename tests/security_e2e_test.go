//go:build e2e

package tests

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/localstack/faultproxy"
)

// The attacks of issue 13, each through the running stack. The unit tests
// named TestAttack... in the packages that own the defences hold each class
// in detail; these show the deployed stack holds it too.

func randomID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// noFollow sends a request and returns the answer as it is, redirects and all.
func noFollow(t *testing.T, method, path string, headers map[string]string) answer {
	t.Helper()
	c := &http.Client{Transport: stack.client.Transport, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest(method, stack.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// A backend's redirect goes back to the client; the gateway never calls the
// URL it names (X-Demo-Redirect makes a demo service answer 302).
func TestAttackBackendRedirectThroughTheStack(t *testing.T) {
	secret := "http://" + net.JoinHostPort(stack.backend, fmt.Sprint(stack.ports["order-service"])) + "/orders/secret"
	h := bearer(token(t, devtoken.Claims{Subject: "user-r1"}))
	h[backend.RedirectHeader] = secret
	a := noFollow(t, "GET", "/api/v1/users/1", h)
	if a.status != http.StatusFound || a.header.Get("Location") != secret {
		t.Fatalf("got %d Location %q %s, want 302 to %s, unfollowed", a.status, a.header.Get("Location"), a.body, secret)
	}
	if strings.Contains(string(a.body), "order-service") && !strings.Contains(string(a.body), "redirect") {
		t.Fatalf("got %s: the gateway followed the redirect", a.body)
	}
	h[backend.RedirectHeader] = "/users/99"
	if a := noFollow(t, "GET", "/api/v1/users/1", h); a.status != http.StatusFound || a.header.Get("Location") != "/api/v1/users/99" {
		t.Fatalf("relative redirect: got %d Location %q, want 302 to /api/v1/users/99 (the stripped prefix back)", a.status, a.header.Get("Location"))
	}
	h[backend.RedirectHeader] = secret
	a = noFollow(t, "GET", "/user-dashboard", h)
	if a.status != http.StatusBadGateway || strings.Contains(string(a.body), "secret") {
		t.Fatalf("composite: got %d %s, want 502 naming the user call and nothing of the redirect", a.status, a.body)
	}
}

// Header names that fold to gateway-owned ones (X_User_Roles is X-User-Roles
// to CGI, WSGI and Rack servers), method-override and URL-rewrite headers never
// reach a backend.
func TestAttackHeaderSpellingsAndOverridesThroughTheStack(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-h1", Roles: []string{"reader"}}))
	attacks := map[string]string{
		"X_User_Roles": "admin", "x_user_id": "root", "X_Forwarded_For": "10.0.0.1", "X_Request_Id": "spoofed",
		"X-HTTP-Method-Override": "DELETE", "X-Method-Override": "DELETE", "X-HTTP-Method": "DELETE",
		"X-Original-URL": "/admin", "X-Rewrite-URL": "/admin", "X_Original_Url": "/admin",
	}
	for k, v := range attacks {
		h[k] = v
	}
	h["X_Custom_Probe"] = "kept" // an ordinary underscore header travels
	a := call(t, "GET", "/api/v1/users/1", h)
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	got := jsonBody[backend.Answer](t, a).Headers
	fold := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	probe := false
	for k, vs := range got {
		if fold(k) == "x-custom-probe" {
			probe = true
		}
		for name, v := range attacks {
			if fold(k) == fold(name) && strings.Contains(strings.Join(vs, ","), v) {
				t.Errorf("backend got %s: %q from the client's %s", k, vs, name)
			}
		}
	}
	if !probe {
		t.Fatalf("got headers %v: the ordinary underscore header did not arrive either, so this stack shows nothing about underscore spellings", got)
	}
	if vs := got["X-User-Roles"]; len(vs) != 1 || vs[0] != "reader" {
		t.Errorf("got X-User-Roles %q, want [reader]", vs)
	}
}

// HEAD is authorised as GET: the demo's notifications need the reader or admin
// role for GET, and so for HEAD.
func TestAttackHeadPastGetPermissionThroughTheStack(t *testing.T) {
	nobody := bearer(token(t, devtoken.Claims{Subject: "user-h2"}))
	reader := bearer(token(t, devtoken.Claims{Subject: "user-h3", Roles: []string{"reader"}}))
	for _, tt := range []struct {
		name    string
		method  string
		headers map[string]string
		want    int
	}{
		{"GET without a role", "GET", nobody, http.StatusForbidden},
		{"HEAD without a role", "HEAD", nobody, http.StatusForbidden},
		{"HEAD as a reader", "HEAD", reader, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if a := call(t, tt.method, "/api/v1/notifications/1", tt.headers); a.status != tt.want {
				t.Fatalf("got %d %s, want %d", a.status, a.body, tt.want)
			}
		})
	}
}

// A cached answer stays with the route and service that made it: when the
// table sends the path to another service, the next answer comes from it, not
// from the cache.
func TestAttackCacheAcrossRoutesThroughTheStack(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-c1"}))
	path := "/api/v1/products/e2e-" + randomID(t)
	products := func() bool {
		a := call(t, "GET", path, h)
		return a.status == http.StatusOK && jsonBody[backend.Answer](t, a).Service == "product-service"
	}
	put, original := swapDocument(t, "config#routes", "the original route table", products)
	if a := call(t, "GET", path, h); a.status != http.StatusOK || a.header.Get("X-Cache") != "MISS" {
		t.Fatalf("first: got %d X-Cache %q, want 200 MISS", a.status, a.header.Get("X-Cache"))
	}
	if a := call(t, "GET", path, h); a.header.Get("X-Cache") != "HIT" {
		t.Fatalf("second: got X-Cache %q, want HIT", a.header.Get("X-Cache"))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(original), &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc["routes"].([]any) {
		if r := r.(map[string]any); r["id"] == "products" {
			r["id"], r["service"] = "products-moved", "api-v2-service"
		}
	}
	moved, _ := json.Marshal(doc)
	put(string(moved))
	var last answer
	waitFor(t, "the products route to move to api-v2-service", func() bool {
		last = call(t, "GET", path, h)
		return last.status == http.StatusOK && jsonBody[backend.Answer](t, last).Service != "product-service"
	})
	if got := jsonBody[backend.Answer](t, last); got.Service != "api-v2-service" || last.header.Get("X-Cache") != "MISS" {
		t.Fatalf("after the move: got %s X-Cache %q, want api-v2-service's own answer (MISS)", got.Service, last.header.Get("X-Cache"))
	}
}

// The search limit (2 per minute here) holds for a caller who sends a token
// and no API key: it counts per subject.
func TestAttackSearchLimitWithoutKeyThroughTheStack(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-s-" + randomID(t)}))
	for i := range 2 {
		if a := call(t, "GET", "/api/v1/search?q=e2e", h); a.status != http.StatusOK {
			t.Fatalf("search %d: got %d %s, want 200", i+1, a.status, a.body)
		}
	}
	checkLimited(t, call(t, "GET", "/api/v1/search?q=e2e", h), 2)
	// Another subject has its own budget.
	other := bearer(token(t, devtoken.Claims{Subject: "user-s-" + randomID(t)}))
	if a := call(t, "GET", "/api/v1/search?q=e2e", other); a.status != http.StatusOK {
		t.Fatalf("another subject: got %d %s, want 200", a.status, a.body)
	}
}

// A spray of made-up API keys from one address spends its per-IP budget (a
// failed lookup costs two requests), then gets 429 before any lookup. The
// emulator takes sourceIp from X-Forwarded-For (AWS does not), which lets the
// test choose the address.
func TestAttackAPIKeySprayThroughTheStack(t *testing.T) {
	// The per-IP limit counts per minute: the spray must fit in one window.
	if s := time.Now().Second(); s > 20 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	ip := fmt.Sprintf("198.51.100.%d", 1+time.Now().Minute()%200)
	h := bearer(token(t, devtoken.Claims{Subject: "user-k-" + randomID(t)}))
	h["X-Forwarded-For"] = ip
	counts := map[int]int{}
	for i := range e2eIPLimit/2 + 5 {
		h["X-Api-Key"] = fmt.Sprintf("guess-%s-%d", randomID(t), i)
		counts[call(t, "GET", "/api/v1/users/1", h).status]++
	}
	if counts[http.StatusForbidden] > e2eIPLimit/2 || counts[http.StatusTooManyRequests] < 5 {
		t.Fatalf("got statuses %v from %d guesses, want at most %d answers of 403, then 429", counts, e2eIPLimit/2+5, e2eIPLimit/2)
	}
}

// A DynamoDB that hangs, rather than fails, gets each store's declared fail
// mode within its own timeout: the fail-open per-IP limit admits, the
// fail-closed search limit answers 503, an API key lookup answers 503, and the
// response cache serves from the backend.
func TestAttackHangingStoresThroughTheStack(t *testing.T) {
	t.Cleanup(stack.faults.Clear)
	tests := []struct {
		name    string
		fault   faultproxy.Fault
		path    string
		headers map[string]string
		want    int
	}{
		{"per-IP limit (fail open)", faultproxy.Fault{Operation: "UpdateItem", KeyPrefix: "rl#ip#", Kind: faultproxy.Hang},
			"/api/v1/users/1", nil, http.StatusOK},
		{"search limit (fail closed)", faultproxy.Fault{Operation: "UpdateItem", KeyPrefix: "rl#search#", Kind: faultproxy.Hang},
			"/api/v1/search?q=hang", nil, http.StatusServiceUnavailable},
		{"API key lookup", faultproxy.Fault{Operation: "GetItem", KeyPrefix: "apikey#", Kind: faultproxy.Hang},
			"/api/v1/users/1", map[string]string{"X-Api-Key": "never-seen-" + randomID(t)}, http.StatusServiceUnavailable},
		{"response cache", faultproxy.Fault{Operation: "GetItem", KeyPrefix: "cache#", Kind: faultproxy.Hang},
			"/api/v1/products/hang-" + randomID(t), nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bearer(token(t, devtoken.Claims{Subject: "user-f-" + randomID(t)}))
			for k, v := range tt.headers {
				h[k] = v
			}
			before, _ := stack.faults.Hits(tt.fault.Operation)
			stack.faults.Set(tt.fault)
			defer stack.faults.Clear()
			a := call(t, "GET", tt.path, h)
			if a.status != tt.want {
				t.Fatalf("got %d %s, want %d", a.status, a.body, tt.want)
			}
			if after, _ := stack.faults.Hits(tt.fault.Operation); after == before {
				t.Fatalf("no %s call met the fault: the test showed nothing", tt.fault.Operation)
			}
			if body := jsonBody[map[string]any](t, a); a.status >= 500 && body["message"] == nil {
				t.Fatalf("got %s, want a JSON message", a.body)
			}
		})
	}
}
