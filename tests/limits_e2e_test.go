//go:build e2e

package tests

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
)

// e2eIPLimit is the per-IP limit the stack is applied with.
const e2eIPLimit = 150

// apiKeys returns the demo API keys by tier from the Terraform outputs.
func apiKeys(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command(os.Getenv("PORTICO_TERRAFORM"), "-chdir=../terraform/local", "output", "-no-color",
		"-state="+filepath.Join(stack.dir, "e2e.tfstate"), "-json", "api_keys").Output()
	if err != nil {
		t.Fatalf("terraform output api_keys: %v", err)
	}
	var keys map[string]string
	if err := json.Unmarshal(out, &keys); err != nil || len(keys) != 3 {
		t.Fatalf("got api_keys %s (%v), want three keys", out, err)
	}
	return keys
}

func withKey(h map[string]string, key string) map[string]string {
	h["X-Api-Key"] = key
	return h
}

// An API key's tier reaches the backend as X-User-Tier, its public ID as
// X-Api-Key-Id, and the key itself stays at the gateway; an unknown key gets 403.
func TestAPIKeyTierReachesBackend(t *testing.T) {
	keys := apiKeys(t)
	h := withKey(bearer(token(t, devtoken.Claims{Subject: "user-30", Extra: map[string]any{"tier": "free"}})), keys["pro"])
	h["X-Api-Key-Id"] = "spoofed"
	a := call(t, "GET", "/api/v1/users/30", h)
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	got := jsonBody[backend.Answer](t, a)
	if vs := got.Headers["X-User-Tier"]; len(vs) != 1 || vs[0] != "pro" {
		t.Errorf("X-User-Tier: got %q, want [pro] (the key's tier wins over the token's)", vs)
	}
	if vs := got.Headers["X-Api-Key-Id"]; len(vs) != 1 || !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(vs[0]) {
		t.Errorf("X-Api-Key-Id: got %q, want the key's 16-hex-digit ID", vs)
	}
	if vs, ok := got.Headers["X-Api-Key"]; ok {
		t.Errorf("the API key reached the backend: %q", vs)
	}
	a = call(t, "GET", "/api/v1/users/30", withKey(bearer(token(t, devtoken.Claims{Subject: "user-30"})), "not-a-key-of-ours-0123456789"))
	if a.status != http.StatusForbidden || jsonBody[map[string]any](t, a)["message"] != "Invalid API key" {
		t.Fatalf("unknown key: got %d %s, want 403 Invalid API key", a.status, a.body)
	}
}

// checkLimited asserts a 429 with its JSON body and headers.
func checkLimited(t *testing.T, a answer, limit int) {
	t.Helper()
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("got %d %s, want 429", a.status, a.body)
	}
	if jsonBody[map[string]any](t, a)["message"] != "Too Many Requests" {
		t.Errorf("got body %s, want a JSON Too Many Requests", a.body)
	}
	if retry, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || retry < 1 {
		t.Errorf("got Retry-After %q, want a positive number of seconds", a.header.Get("Retry-After"))
	}
	if a.header.Get("RateLimit-Limit") != strconv.Itoa(limit) || a.header.Get("RateLimit-Remaining") != "0" || a.header.Get("RateLimit-Reset") == "" {
		t.Errorf("got RateLimit-Limit %q Remaining %q Reset %q, want %d, 0 and a reset", a.header.Get("RateLimit-Limit"), a.header.Get("RateLimit-Remaining"), a.header.Get("RateLimit-Reset"), limit)
	}
}

// The free tier (3 per hour here) limits per API key.
func TestTierLimitPerKey(t *testing.T) {
	keys := apiKeys(t)
	h := withKey(bearer(token(t, devtoken.Claims{Subject: "user-31"})), keys["free"])
	for i := range 3 {
		if a := call(t, "GET", "/api/v1/users/31", h); a.status != http.StatusOK {
			t.Fatalf("free request %d: got %d %s, want 200", i+1, a.status, a.body)
		}
	}
	checkLimited(t, call(t, "GET", "/api/v1/users/31", h), 3)
	// Another tier's key is not affected.
	if a := call(t, "GET", "/api/v1/users/31", withKey(bearer(token(t, devtoken.Claims{Subject: "user-31"})), keys["enterprise"])); a.status != http.StatusOK {
		t.Fatalf("enterprise key: got %d %s, want 200", a.status, a.body)
	}
}

// The search endpoint has its own limit per key (2 per minute here).
func TestSearchLimitPerKey(t *testing.T) {
	keys := apiKeys(t)
	h := withKey(bearer(token(t, devtoken.Claims{Subject: "user-32"})), keys["enterprise"])
	for i := range 2 {
		if a := call(t, "GET", "/api/v1/search?q=widget", h); a.status != http.StatusOK {
			t.Fatalf("search %d: got %d %s, want 200", i+1, a.status, a.body)
		}
	}
	checkLimited(t, call(t, "GET", "/api/v1/search?q=widget", h), 2)
	if a := call(t, "GET", "/api/v1/products", h); a.status != http.StatusOK {
		t.Fatalf("the same key off the search endpoint: got %d %s, want 200", a.status, a.body)
	}
}

// The limits are data: a rule added to the stored document is applied by the
// running (warm) aggregator at its next refresh, without a redeploy, and goes
// away again when the document Terraform wrote is put back.
func TestLimitsDocumentRefresh(t *testing.T) {
	keys := apiKeys(t)
	h := withKey(bearer(token(t, devtoken.Claims{Subject: "user-34"})), keys["enterprise"])
	put, original := swapDocument(t, "config#limits", "the original limits", func() bool {
		return call(t, "GET", "/api/v1/users/34", h).status == http.StatusOK
	})
	if a := call(t, "GET", "/api/v1/users/34", h); a.status != http.StatusOK {
		t.Fatalf("before: got %d %s, want 200", a.status, a.body)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(original), &doc); err != nil {
		t.Fatalf("the stored limits document: %v", err)
	}
	rules, _ := doc["rules"].([]any)
	doc["rules"] = append(rules, map[string]any{"name": "e2e-refresh", "dimension": "endpoint", "route": "/api/v1/users/34", "requests": 2, "window": "1h"})
	changed, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	put(string(changed))
	// Requests count under the new rule once it is in force: the third after
	// that is refused.
	var last answer
	waitFor(t, "a 429 from the new rule", func() bool {
		last = call(t, "GET", "/api/v1/users/34", h)
		return last.status == http.StatusTooManyRequests
	})
	checkLimited(t, last, 2)
}

// The per-IP limit answers 429 once the minute's requests are used up. The
// requests of the other tests count too, and a minute may roll over once, so
// the limit is reached within two windows' worth of requests.
// TestIPLimit uses up a per-IP limit of its own: the emulator takes sourceIp
// from X-Forwarded-For (AWS does not), so the test chooses an address no
// other test uses and leaves the others' limits alone.
func TestIPLimit(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-33"}))
	h["X-Forwarded-For"] = "198.51.100.251"
	for i := range 2*e2eIPLimit + 10 {
		a := call(t, "GET", "/api/v1/users/33", h)
		switch a.status {
		case http.StatusOK:
			continue
		case http.StatusTooManyRequests:
			checkLimited(t, a, e2eIPLimit)
			t.Logf("429 after %d requests of this test", i+1)
			return
		default:
			t.Fatalf("request %d: got %d %s, want 200 or 429", i+1, a.status, a.body)
		}
	}
	t.Fatalf("no 429 within %d requests, want one at the per-IP limit of %d", 2*e2eIPLimit+10, e2eIPLimit)
}
