package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Daily and monthly quotas, and the claim dimension.

// TestCalendarWindows: a 1d window is a calendar day in UTC and a month
// window a calendar month, each exact at its boundaries, with its items kept
// until the end of the next window.
func TestCalendarWindows(t *testing.T) {
	tests := []struct {
		name       string
		window     string
		at         time.Time // a time inside the window
		start, end time.Time
	}{
		{"day", "1d", time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC),
			time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"day given in another zone", "day", time.Date(2026, 3, 14, 1, 0, 0, 0, time.FixedZone("CET", 3600)),
			time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"january", "month", time.Date(2026, 1, 20, 8, 0, 0, 0, time.UTC),
			time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{"february of a leap year", "month", time.Date(2028, 2, 29, 23, 59, 59, 0, time.UTC),
			time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"december", "month", time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC),
			time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			window, cal, err := ParseWindow(tt.window)
			if err != nil {
				t.Fatal(err)
			}
			c := newClock()
			c.Set(tt.at)
			store := newCountingStore(c.Now)
			l := mustNew(t, Config{Name: "quota", Requests: 2, Window: window, Calendar: cal, Store: store, Now: c.Now})
			ctx := context.Background()
			for i := range 2 {
				if d, err := l.Allow(ctx, "t"); err != nil || !d.Allowed || !d.Reset.Equal(tt.end) || d.Window != tt.end.Sub(tt.start) {
					t.Fatalf("request %d: got %+v, %v; want allowed, reset at %s, window %s", i+1, d, err, tt.end, tt.end.Sub(tt.start))
				}
			}
			c.Set(tt.end.Add(-time.Nanosecond))
			if d, _ := l.Allow(ctx, "t"); d.Allowed || !d.Reset.Equal(tt.end) {
				t.Fatalf("last instant of the window: got %+v, want denied until %s", d, tt.end)
			}
			c.Set(tt.end)
			if d, _ := l.Allow(ctx, "t"); !d.Allowed || d.Remaining != 1 {
				t.Fatalf("first instant of the next window: got %+v, want allowed with 1 remaining", d)
			}
			wantKey := "quota#t#" + strconv.FormatInt(tt.start.Unix(), 10)
			exp, ok := store.keys.Load(wantKey)
			if !ok {
				t.Fatalf("got no item %s", wantKey)
			}
			if got := exp.(time.Time); got.Before(tt.end.Add(tt.end.Sub(tt.start) - 72*time.Hour)) {
				t.Fatalf("item %s expires %s, want after the end of the next window", wantKey, got)
			}
		})
	}
}

// TestRollingMonth: with algorithm sliding a month window rolls: the previous
// month's count weighs in by the share of the current month still to come.
func TestRollingMonth(t *testing.T) {
	c := newClock()
	c.Set(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
	store := newCountingStore(c.Now)
	l := mustNew(t, Config{Name: "m", Requests: 100, Calendar: Month, Algorithm: SlidingWindow, Store: store, Now: c.Now})
	ctx := context.Background()
	for range 100 {
		if d, err := l.Allow(ctx, "t"); err != nil || !d.Allowed {
			t.Fatalf("January: got %+v, %v; want allowed", d, err)
		}
	}
	// 1 February 00:00 + a quarter of February (28 days): 75% of January's
	// 100 still count, so 25 are left.
	c.Set(time.Date(2026, 2, 8, 0, 0, 0, 0, time.UTC))
	admitted := 0
	for range 40 {
		d, err := l.Allow(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			admitted++
		}
	}
	if admitted != 25 {
		t.Fatalf("a quarter into February: got %d admitted, want 25 (100 - 75 weighed from January)", admitted)
	}
}

// TestMonthQuotaExactUnderConcurrency: instances leasing from one monthly
// counter never admit more than the quota together.
func TestMonthQuotaExactUnderConcurrency(t *testing.T) {
	c := newClock()
	c.Set(time.Date(2026, 4, 30, 23, 0, 0, 0, time.UTC))
	store := NewMemory(c.Now)
	const quota = 500
	var admitted sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 8 {
		l := mustNew(t, Config{Name: "month", Requests: quota, Calendar: Month, Lease: 5, Store: store, Now: c.Now})
		admitted.Go(func() {
			for range 200 {
				d, err := l.Allow(context.Background(), "tenant-a")
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					mu.Lock()
					total++
					mu.Unlock()
				}
			}
		})
	}
	admitted.Wait()
	if total > quota || total < quota-8*4 {
		t.Fatalf("got %d admitted by 8 instances leasing 5, want at most %d and at least %d (leases stranded)", total, quota, quota-8*4)
	}
}

func TestClaimDimension(t *testing.T) {
	tenant := Rule{Dimension: Claim, Claim: "tenant"}
	tenantSearch := Rule{Dimension: Claim, Claim: "tenant", Route: "/api/v1/search"}
	perUser := Rule{Dimension: Claim, Claim: SubjectClaim}
	tests := []struct {
		name string
		rule Rule
		req  Request
		want string // "" means the rule does not apply
	}{
		{"per tenant", tenant, Request{Subject: "alice", Claims: map[string]string{"tenant": "acme"}}, "c:acme"},
		{"a colleague shares it", tenant, Request{Subject: "bob", Claims: map[string]string{"tenant": "acme"}}, "c:acme"},
		{"an API key does not change it", tenant, Request{APIKey: "k", Subject: "bob", Claims: map[string]string{"tenant": "acme"}}, "c:acme"},
		{"no tenant claim: counted per subject", tenant, Request{Subject: "carol"}, "sub:carol"},
		{"empty tenant claim: counted per subject", tenant, Request{Subject: "carol", Claims: map[string]string{"tenant": ""}}, "sub:carol"},
		{"a tenant named like a subject key does not share it", tenant, Request{Subject: "x", Claims: map[string]string{"tenant": "sub:carol"}}, "c:sub:carol"},
		{"per subject", perUser, Request{Subject: "alice", Claims: map[string]string{"sub": "forged"}}, "sub:alice"},
		{"nobody", tenant, Request{IP: "1.2.3.4"}, ""},
		{"on its route", tenantSearch, Request{Subject: "a", Path: "/api/v1/search/x", Claims: map[string]string{"tenant": "acme"}}, "c:acme"},
		{"off its route", tenantSearch, Request{Subject: "a", Path: "/api/v1/users", Claims: map[string]string{"tenant": "acme"}}, ""},
		{"claim name in another case", Rule{Dimension: Claim, Claim: "Tenant"}, Request{Subject: "a", Claims: map[string]string{"tenant": "acme"}}, "c:acme"},
	}
	for _, tt := range tests {
		got, ok := tt.rule.Applies(tt.req)
		if !ok {
			got = ""
		}
		if got != tt.want {
			t.Errorf("%s: got key %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestTenantShareOneBudget: through a Set, users of one tenant share its
// quota and another tenant keeps its own.
func TestTenantShareOneBudget(t *testing.T) {
	rules, err := ParseDocument([]byte(`{"version": 1, "rules": [
		{"name": "tenant-daily", "dimension": "claim", "claim": "tenant", "requests": 3, "window": "1d"},
		{"name": "ip", "dimension": "ip", "requests": 100, "window": "1m"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	for i := range rules {
		rules[i].Limit.Now = c.Now
	}
	set, err := NewSet(NewMemory(c.Now), rules)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acme := func(sub string) Request {
		return Request{IP: "1.2.3.4", Subject: sub, Claims: map[string]string{"tenant": "acme"}}
	}
	for i, sub := range []string{"alice", "bob", "carol"} {
		d, err := set.Allow(ctx, acme(sub), CallerDimensions...)
		if err != nil || !d.Allowed || d.Remaining != int64(2-i) {
			t.Fatalf("%s: got %+v, %v; want allowed with %d left", sub, d, err, 2-i)
		}
	}
	if d, _ := set.Allow(ctx, acme("dave"), CallerDimensions...); d.Allowed || d.Name != "tenant-daily" {
		t.Fatalf("a fourth acme user: got %+v, want denied by tenant-daily", d)
	}
	other := Request{IP: "1.2.3.4", Subject: "erin", Claims: map[string]string{"tenant": "globex"}}
	if d, _ := set.Allow(ctx, other, CallerDimensions...); !d.Allowed {
		t.Fatalf("another tenant: got %+v, want allowed", d)
	}
}

// TestSetAppliedLists: Set.Allow lists every rule that counted the request,
// for the RateLimit and RateLimit-Policy fields.
func TestSetAppliedLists(t *testing.T) {
	c := newClock()
	set := chapterSet(t, NewMemory(c.Now), c.Now)
	d, err := set.Allow(context.Background(), Request{IP: "1.2.3.4", APIKey: "k", Path: "/api/v1/search", Tier: "pro"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range d.Applied {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "global,ip,key,search,tier-pro" {
		t.Fatalf("got applied %s, want global,ip,key,search,tier-pro in the Set's order", got)
	}
	if d.Name != "search" {
		t.Fatalf("got tightest %s, want search (10 per minute)", d.Name)
	}
	for _, a := range d.Applied {
		if a.Window == 0 || len(a.Applied) != 0 {
			t.Fatalf("applied %s: got window %s and %d nested, want its window and none nested", a.Name, a.Window, len(a.Applied))
		}
	}
	one, err := set.Allow(context.Background(), Request{IP: "5.6.7.8"}, IP)
	if err != nil || len(one.Applied) != 1 || one.Applied[0].Name != "ip" {
		t.Fatalf("one rule: got %+v, %v; want it listed alone", one, err)
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		cal  Calendar
		err  bool
	}{
		{"1s", time.Second, NoCalendar, false},
		{"24h", 24 * time.Hour, NoCalendar, false},
		{"1d", 24 * time.Hour, NoCalendar, false},
		{"day", 24 * time.Hour, NoCalendar, false},
		{"7d", 7 * 24 * time.Hour, NoCalendar, false},
		{"month", 0, Month, false},
		{"0d", 0, NoCalendar, true},
		{"1.5d", 0, NoCalendar, true},
		{"monthly", 0, NoCalendar, true},
		{"1mo", 0, NoCalendar, true},
	}
	for _, tt := range tests {
		got, cal, err := ParseWindow(tt.in)
		if (err != nil) != tt.err || got != tt.want || cal != tt.cal {
			t.Errorf("ParseWindow(%q): got %s %s %v, want %s %s (error %v)", tt.in, got, cal, err, tt.want, tt.cal, tt.err)
		}
	}
}

func TestParseQuotaDocumentErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"version": 1, "rules": [{"name": "a", "dimension": "claim", "requests": 1, "window": "1d"}]}`, "needs a Claim"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "claim", "claim": "https://x/tenant", "requests": 1, "window": "1d"}]}`, "name of a claim mapping"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "claim", "claim": "tenant", "tier": "pro", "requests": 1, "window": "1d"}]}`, "takes no Tier"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "claim", "claim": "tenant", "route": "api", "requests": 1, "window": "1d"}]}`, "starting with /"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "ip", "claim": "tenant", "requests": 1, "window": "1d"}]}`, "Claim are for"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "tier", "tier": "pro", "claim": "tenant", "requests": 1, "window": "1d"}]}`, "no Route or Claim"},
		{`{"version": 1, "rules": [{"name": "a", "dimension": "ip", "requests": 1, "window": "fortnight"}]}`, `window "fortnight"`},
	}
	for _, tt := range tests {
		_, err := ParseDocument([]byte(tt.doc))
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDocument(%s): got %v, want an ErrConfig mentioning %q", tt.doc, err, tt.want)
		}
	}
	if err := (Config{Name: "m", Requests: 1, Window: time.Hour, Calendar: Month, Store: NewMemory(nil)}).Validate(); err == nil || !strings.Contains(err.Error(), "sets no Window") {
		t.Errorf("month with a window: got %v, want it refused", err)
	}
}
