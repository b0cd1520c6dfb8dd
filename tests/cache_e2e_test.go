//go:build e2e

package tests

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
)

// GET /api/v1/products is cached for 5 minutes, varied by Accept-Language and
// Accept-Encoding: the second call is a HIT with Age, another language a MISS;
// /api/v1/users is user-specific and never cached.
func TestProductsCachedUsersNot(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-40"}))
	h["Accept-Language"] = "de"
	h["X-Cache-Probe"] = "from-client" // not in the key: must not reach the backend
	path := "/api/v1/products/cache-" + stack.name
	first := call(t, "GET", path, h)
	if first.status != http.StatusOK || first.header.Get("X-Cache") != "MISS" {
		t.Fatalf("first: got %d X-Cache %q, want 200 MISS", first.status, first.header.Get("X-Cache"))
	}
	got := jsonBody[backend.Answer](t, first)
	if _, ok := got.Headers["X-Cache-Probe"]; ok {
		t.Fatal("an unkeyed client header reached the backend of a cached route")
	}
	if _, ok := got.Headers["X-User-Id"]; ok {
		t.Fatal("a cached route's backend got the caller's identity; its answer could leak to other users")
	}
	second := call(t, "GET", path, h)
	if second.status != http.StatusOK || second.header.Get("X-Cache") != "HIT" {
		t.Fatalf("second: got %d X-Cache %q, want 200 HIT", second.status, second.header.Get("X-Cache"))
	}
	if age, err := strconv.Atoi(second.header.Get("Age")); err != nil || age < 0 {
		t.Fatalf("second: got Age %q, want seconds", second.header.Get("Age"))
	}
	if string(second.body) != string(first.body) {
		t.Fatalf("HIT body differs from the stored answer:\n%s\n%s", second.body, first.body)
	}
	h["Accept-Language"] = "it"
	if a := call(t, "GET", path, h); a.header.Get("X-Cache") != "MISS" {
		t.Fatalf("another Accept-Language: got X-Cache %q, want MISS", a.header.Get("X-Cache"))
	}
	for i := range 2 {
		a := call(t, "GET", "/api/v1/users/40", h)
		if a.status != http.StatusOK || a.header.Get("X-Cache") != "" || jsonBody[backend.Answer](t, a).Headers["X-User-Id"][0] != "user-40" {
			t.Fatalf("users call %d: got %d X-Cache %q, want 200, uncached, with the caller's identity", i+1, a.status, a.header.Get("X-Cache"))
		}
	}
}
