package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func chapterSet(t testing.TB, store Store, now func() time.Time) *Set {
	t.Helper()
	rules := ChapterRules()
	for i := range rules {
		rules[i].Limit.Now = now
	}
	s, err := NewSet(store, rules)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRuleApplies(t *testing.T) {
	search := Rule{Dimension: Endpoint, Route: "/api/v1/search"}
	pro := Rule{Dimension: Tier, Tier: "pro"}
	tests := []struct {
		name string
		rule Rule
		req  Request
		want string // "" means the rule does not apply
	}{
		{"global", Rule{Dimension: Global}, Request{}, "all"},
		{"ip", Rule{Dimension: IP}, Request{IP: "1.2.3.4"}, "1.2.3.4"},
		{"ip unknown", Rule{Dimension: IP}, Request{APIKey: "k"}, ""},
		{"key", Rule{Dimension: APIKey}, Request{APIKey: "k"}, "k"},
		{"anonymous", Rule{Dimension: APIKey}, Request{IP: "1.2.3.4"}, ""},
		{"search", search, Request{APIKey: "k", Path: "/api/v1/search"}, "k"},
		{"below search", search, Request{APIKey: "k", Path: "/api/v1/search/books"}, "k"},
		{"search-like", search, Request{APIKey: "k", Path: "/api/v1/searchable"}, ""},
		{"other route", search, Request{APIKey: "k", Path: "/api/v1/products"}, ""},
		{"tier", pro, Request{APIKey: "k", Tier: "pro"}, "k"},
		{"other tier", pro, Request{APIKey: "k", Tier: "free"}, ""},
		// Omitting the key does not escape per-caller limits: the subject counts.
		{"search without a key", search, Request{Subject: "alice", Path: "/api/v1/search"}, "sub:alice"},
		{"search with key and subject", search, Request{APIKey: "k", Subject: "alice", Path: "/api/v1/search"}, "k"},
		{"tier without a key", pro, Request{Subject: "alice", Tier: "pro"}, "sub:alice"},
		{"default tier without a key", Rule{Dimension: Tier, Tier: DefaultTier}, Request{Subject: "alice"}, "sub:alice"},
		{"default tier is not another tier", pro, Request{Subject: "alice"}, ""},
		{"nobody", search, Request{IP: "1.2.3.4", Path: "/api/v1/search"}, ""},
		{"per-key limit stays per key", Rule{Dimension: APIKey}, Request{Subject: "alice"}, ""},
	}
	for _, tt := range tests {
		tier := tt.req.Tier
		if tier == "" {
			tier = DefaultTier
		}
		got, ok := tt.rule.key(tt.req, tier)
		if !ok {
			got = ""
		}
		if got != tt.want {
			t.Errorf("%s: got key %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestSetTightestAnswers: every applicable limit counts the request and the
// most restrictive one answers.
func TestSetTightestAnswers(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	s := chapterSet(t, store, c.Now)
	ctx := context.Background()
	search := Request{IP: "1.2.3.4", APIKey: "k1", Path: "/api/v1/search", Tier: "free"}
	for i := range 10 {
		d, err := s.Allow(ctx, search)
		if err != nil || !d.Allowed {
			t.Fatalf("search %d: got %+v, %v; want allowed", i+1, d, err)
		}
		// search (10/min) has the fewest remaining.
		if d.Name != "search" || d.Remaining != int64(9-i) {
			t.Fatalf("search %d: got %s with %d remaining, want search with %d", i+1, d.Name, d.Remaining, 9-i)
		}
	}
	d, _ := s.Allow(ctx, search)
	if d.Allowed || d.Name != "search" {
		t.Fatalf("search 11: got %+v, want denied by search", d)
	}
	// Other routes are still open for the key, and the ip, key and tier
	// limits have counted all 11 requests.
	d, err := s.Allow(ctx, Request{IP: "1.2.3.4", APIKey: "k1", Path: "/api/v1/products", Tier: "free"})
	// ip (100/min) and tier-free (100/h) tie on remaining; the later reset wins.
	if err != nil || !d.Allowed || d.Name != "tier-free" || d.Remaining != 100-12 {
		t.Fatalf("products: got %+v, %v; want allowed, tier-free answering with 88 remaining", d, err)
	}
	// The free tier (100/h) outlasts the ip limit (100/min) only across minutes.
	for range 88 {
		s.Allow(ctx, Request{IP: "1.2.3.4", APIKey: "k1", Path: "/p", Tier: "free"})
	}
	d, _ = s.Allow(ctx, Request{IP: "1.2.3.4", APIKey: "k1", Path: "/p", Tier: "free"})
	if d.Allowed || d.Name != "tier-free" || !d.Reset.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("101st of the hour: got %+v, want denied by tier-free until the hour ends", d)
	}
	c.Add(time.Minute)
	d, _ = s.Allow(ctx, Request{IP: "1.2.3.4", APIKey: "k1", Path: "/p", Tier: "free"})
	if d.Allowed || d.Name != "tier-free" {
		t.Fatalf("next minute: got %+v, want still denied by tier-free", d)
	}
	d, _ = s.Allow(ctx, Request{IP: "1.2.3.4", APIKey: "k2", Path: "/p", Tier: "pro"})
	if !d.Allowed {
		t.Fatalf("a pro key from the same IP: got %+v, want allowed", d)
	}
}

func TestSetFailModes(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	store.fail.Store(-1)
	s := chapterSet(t, store, c.Now)
	for _, l := range s.limiters {
		l.sleep = func(context.Context, time.Duration) error { return nil }
	}
	ctx := context.Background()
	// Global and ip fail open; an anonymous request meets only those.
	d, err := s.Allow(ctx, Request{IP: "1.2.3.4"})
	if err != nil || !d.Allowed || !d.Degraded {
		t.Fatalf("anonymous: got %+v, %v; want allowed by the floors", d, err)
	}
	// The key limit fails closed.
	_, err = s.Allow(ctx, Request{IP: "1.2.3.4", APIKey: "k"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("with a key: got %v, want ErrUnavailable", err)
	}
}

func TestNewSetRefuses(t *testing.T) {
	s := NewMemory(nil)
	lim := Config{Name: "a", Requests: 1, Window: time.Second}
	tests := []struct {
		name  string
		rules []Rule
	}{
		{"none", nil},
		{"unknown dimension", []Rule{{Dimension: "planet", Limit: lim}}},
		{"endpoint without route", []Rule{{Dimension: Endpoint, Limit: lim}}},
		{"tier without tier", []Rule{{Dimension: Tier, Limit: lim}}},
		{"ip with route", []Rule{{Dimension: IP, Route: "/x", Limit: lim}}},
		{"same name twice", []Rule{{Dimension: IP, Limit: lim}, {Dimension: Global, Limit: lim}}},
		{"bad limit", []Rule{{Dimension: IP, Limit: Config{Name: "a"}}}},
	}
	for _, tt := range tests {
		if _, err := NewSet(s, tt.rules); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", tt.name, err)
		}
	}
}

func TestTighter(t *testing.T) {
	t0 := time.Unix(0, 0)
	allow := Decision{Allowed: true, Remaining: 5, Reset: t0}
	tests := []struct {
		name string
		a, b Decision
		want bool
	}{
		{"denied over allowed", Decision{Reset: t0}, allow, true},
		{"allowed under denied", allow, Decision{Reset: t0}, false},
		{"later reset among denials", Decision{Reset: t0.Add(time.Hour)}, Decision{Reset: t0.Add(time.Minute)}, true},
		{"fewer remaining", Decision{Allowed: true, Remaining: 1, Reset: t0}, allow, true},
		{"same remaining, later reset", Decision{Allowed: true, Remaining: 5, Reset: t0.Add(time.Second)}, allow, true},
		{"equal", allow, allow, false},
	}
	for _, tt := range tests {
		if got := Tighter(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func ExampleSet() {
	now := func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	rules := ChapterRules() // the design chapter's limits, as data
	for i := range rules {
		rules[i].Limit.Now = now
	}
	s, err := NewSet(NewMemory(now), rules)
	if err != nil {
		panic(err)
	}
	req := Request{IP: "203.0.113.7", APIKey: "key-1", Path: "/api/v1/search", Tier: "pro"}
	for range 11 {
		d, _ := s.Allow(context.Background(), req)
		if !d.Allowed {
			fmt.Println("denied by", d.Name, "until", d.Reset.Format(time.TimeOnly))
		}
	}
	// Output:
	// denied by search until 12:01:00
}
