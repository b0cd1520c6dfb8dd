package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/ratelimit"
)

func TestRateLimitFieldsFormat(t *testing.T) {
	now := time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC)
	h := map[string][]string{}
	rateLimitFields(h, []ratelimit.Decision{
		{Name: "ip", Limit: 100, Remaining: 99, Reset: now.Add(30 * time.Second), Window: time.Minute},
		{Name: "tenant-monthly", Limit: 100000, Remaining: 5, Reset: now.Add(time.Hour), Window: 31 * 24 * time.Hour},
		{Name: `odd "name"\é`, Limit: 1, Remaining: 0, Reset: now.Add(1500 * time.Millisecond), Window: time.Second},
	}, now)
	wantPolicy := `"ip";q=100;w=60, "tenant-monthly";q=100000;w=2678400, "odd \"name\"\\??";q=1;w=1`
	wantState := `"ip";r=99;t=30, "tenant-monthly";r=5;t=3600, "odd \"name\"\\??";r=0;t=2`
	if got := h["RateLimit-Policy"][0]; got != wantPolicy {
		t.Errorf("RateLimit-Policy: got %s, want %s", got, wantPolicy)
	}
	if got := h["RateLimit"][0]; got != wantState {
		t.Errorf("RateLimit: got %s, want %s", got, wantState)
	}
	empty := map[string][]string{}
	rateLimitFields(empty, nil, now)
	if len(empty) != 0 {
		t.Errorf("no policy: got %v, want no fields", empty)
	}
}

// Through the handler: every policy that counted the request is named, the
// network ones and the caller's, on an admitted answer and on a 429; the
// tenant's quota is shared by its users.
func TestRateLimitFieldsAndTenantQuota(t *testing.T) {
	set := testSet(t, `{"version": 1, "rules": [
		{"name": "ip", "dimension": "ip", "requests": 100, "window": "1m"},
		{"name": "tenant-daily", "dimension": "claim", "claim": "tenant", "requests": 2, "window": "1d"}]}`)
	h := newHandler(t, services{"user-service": echo("user-service")}, set)
	call := func(sub, tenant string) response {
		ev := event("GET", "/api/v1/users/1", nil)
		ev.RequestContext.Authorizer["userId"] = sub
		if tenant != "" {
			ev.RequestContext.Authorizer["claim.tenant"] = tenant
		}
		resp, _ := h.Handle(context.Background(), ev)
		return resp
	}
	first := call("alice", "acme")
	if first.StatusCode != 200 || first.MultiValueHeaders["RateLimit-Policy"][0] != `"ip";q=100;w=60, "tenant-daily";q=2;w=86400` ||
		first.MultiValueHeaders["RateLimit"][0] != `"ip";r=99;t=60, "tenant-daily";r=1;t=43200` {
		t.Fatalf("first: got %d %v", first.StatusCode, first.MultiValueHeaders)
	}
	if resp := call("bob", "acme"); resp.StatusCode != 200 {
		t.Fatalf("a colleague: got %d, want 200 (the tenant's second request)", resp.StatusCode)
	}
	denied := call("carol", "acme")
	if denied.StatusCode != 429 || denied.MultiValueHeaders["RateLimit"][0] != `"ip";r=97;t=60, "tenant-daily";r=0;t=43200` ||
		denied.MultiValueHeaders["Retry-After"][0] != "43200" {
		t.Fatalf("a third acme user: got %d %v, want 429 naming both policies, tenant-daily at 0", denied.StatusCode, denied.MultiValueHeaders)
	}
	if resp := call("dave", "globex"); resp.StatusCode != 200 {
		t.Fatalf("another tenant: got %d, want 200", resp.StatusCode)
	}
	if resp := call("erin", ""); resp.StatusCode != 200 || resp.MultiValueHeaders["RateLimit"][0] != `"ip";r=95;t=60, "tenant-daily";r=1;t=43200` {
		t.Fatalf("no tenant claim: got %d %v, want counted per subject", resp.StatusCode, resp.MultiValueHeaders)
	}
}
