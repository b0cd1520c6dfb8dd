//go:build e2e

package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/localstack/devtoken"
)

// tenantCall calls /api/v1/notifications as sub of tenant, from its own
// address (X-Forwarded-For, which MiniStack takes as sourceIp) so that the
// per-IP limit of the other tests' address is left alone.
func tenantCall(t *testing.T, sub, tenant string) answer {
	t.Helper()
	extra := map[string]any{}
	if tenant != "" {
		extra["https://portico.dev/tenant"] = tenant
	}
	h := bearer(token(t, devtoken.Claims{Subject: sub, Roles: []string{"reader"}, Extra: extra}))
	h["X-Forwarded-For"] = "198.51.100.201"
	return call(t, "GET", "/api/v1/notifications", h)
}

// The users of a tenant share its quota, a monthly one here, and every
// answer names each policy that counted it in the IETF RateLimit-Policy and
// RateLimit fields: the per-IP limit, the tier's, the demo's tenant quotas
// and this test's.
func TestTenantQuotaAndRateLimitFieldsThroughTheStack(t *testing.T) {
	tenant := "t-" + randomID(t)
	put, original := swapDocument(t, "config#limits", "the original limits", func() bool {
		return !strings.Contains(tenantCall(t, "user-q0", tenant).header.Get("RateLimit-Policy"), "e2e-tenant")
	})
	var doc map[string]any
	if err := json.Unmarshal([]byte(original), &doc); err != nil {
		t.Fatalf("the stored limits document: %v", err)
	}
	rules, _ := doc["rules"].([]any)
	doc["rules"] = append(rules, map[string]any{"name": "e2e-tenant", "dimension": "claim", "claim": "tenant", "route": "/api/v1/notifications", "requests": 3, "window": "month"})
	changed, _ := json.Marshal(doc)
	put(string(changed))
	waitFor(t, "the tenant rule in force", func() bool {
		return strings.Contains(tenantCall(t, "user-probe", "probe-"+randomID(t)).header.Get("RateLimit-Policy"), "e2e-tenant")
	})

	now := time.Now().UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	month := int64(start.AddDate(0, 1, 0).Sub(start) / time.Second)
	first := tenantCall(t, "user-q1", tenant)
	if first.status != http.StatusOK {
		t.Fatalf("first: got %d %s, want 200", first.status, first.body)
	}
	policy := first.header.Get("RateLimit-Policy")
	for _, want := range []string{fmt.Sprintf(`"ip";q=%d;w=60`, e2eIPLimit), `"tier-enterprise";q=1000;w=3600`, `"tenant-daily";q=`, `"tenant-monthly";q=`,
		fmt.Sprintf(`"e2e-tenant";q=3;w=%d`, month)} {
		if !strings.Contains(policy, want) {
			t.Errorf("RateLimit-Policy: got %s, want it to name %s", policy, want)
		}
	}
	if got := first.header.Get("RateLimit"); !regexp.MustCompile(`"e2e-tenant";r=2;t=\d+`).MatchString(got) {
		t.Errorf("RateLimit: got %s, want e2e-tenant with 2 remaining", got)
	}
	if first.header.Get("RateLimit-Limit") == "" {
		t.Errorf("got no RateLimit-Limit: want the earlier three fields beside the new two")
	}
	for _, sub := range []string{"user-q2", "user-q3"} {
		if a := tenantCall(t, sub, tenant); a.status != http.StatusOK {
			t.Fatalf("%s of the same tenant: got %d %s, want 200", sub, a.status, a.body)
		}
	}
	denied := tenantCall(t, "user-q4", tenant)
	if denied.status != http.StatusTooManyRequests {
		t.Fatalf("a fourth user of the tenant: got %d %s, want 429", denied.status, denied.body)
	}
	m := regexp.MustCompile(`"e2e-tenant";r=0;t=(\d+)`).FindStringSubmatch(denied.header.Get("RateLimit"))
	if m == nil {
		t.Fatalf("RateLimit of the 429: got %s, want e2e-tenant at 0", denied.header.Get("RateLimit"))
	}
	reset, _ := strconv.ParseInt(m[1], 10, 64)
	untilMonthEnd := int64(time.Until(start.AddDate(0, 1, 0)) / time.Second)
	if reset < untilMonthEnd-120 || reset > untilMonthEnd+120 {
		t.Errorf("t: got %d s, want about %d s, the end of the calendar month (UTC)", reset, untilMonthEnd)
	}
	if retry := denied.header.Get("Retry-After"); retry != m[1] {
		t.Errorf("Retry-After: got %s, want %s", retry, m[1])
	}
	if a := tenantCall(t, "user-q5", "other-"+tenant); a.status != http.StatusOK {
		t.Errorf("another tenant: got %d %s, want 200", a.status, a.body)
	}
}
