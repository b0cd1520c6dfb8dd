package mesh

import (
	"fmt"
	"testing"
	"time"
)

// detector returns an outlier detector over n endpoints with the default
// policy, and a clock at t0.
func detector(n int) (*outlier, Outlier, []*endpoint) {
	eps := make([]*endpoint, n)
	for i := range eps {
		eps[i] = &endpoint{inst: Instance{ID: fmt.Sprint("i-", i)}, host: &host{}}
	}
	return &outlier{}, resolve(Policy{}).outlier, eps
}

// fail records k consecutive failures of ep at now.
func fail(o *outlier, cfg Outlier, ep *endpoint, all []*endpoint, k int, now time.Time) {
	for range k {
		o.record(cfg, ep.host, all, true, now)
	}
}

// The Envoy-style sequence: 4 errors keep the instance, the 5th ejects it;
// ejected at 59.9 s, back at 60.1 s; the second ejection lasts 120 s.
func TestOutlierConsecutive5xx(t *testing.T) {
	o, cfg, eps := detector(4)
	ep := eps[0]
	t0 := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	fail(o, cfg, ep, eps, 4, t0)
	if o.ejected(ep.host, t0) {
		t.Fatal("got ejected after 4 errors, want in service")
	}
	o.record(cfg, ep.host, eps, false, t0) // a success resets the count
	fail(o, cfg, ep, eps, 4, t0)
	if o.ejected(ep.host, t0) {
		t.Fatal("got ejected after 4 errors following a success, want in service")
	}
	d, ok := o.record(cfg, ep.host, eps, true, t0)
	if !ok || d != 60*time.Second {
		t.Fatalf("got ejection %v for %s on the 5th error, want true for 60s", ok, d)
	}
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{59900 * time.Millisecond, true},
		{60100 * time.Millisecond, false},
	}
	for _, s := range steps {
		if got := o.ejected(ep.host, at(s.at)); got != s.want {
			t.Fatalf("got ejected=%v at %s, want %v", got, s.at, s.want)
		}
	}
	// Second ejection, right after returning: 2 × 60 s.
	fail(o, cfg, ep, eps, 4, at(60100*time.Millisecond))
	d, ok = o.record(cfg, ep.host, eps, true, at(60100*time.Millisecond))
	if !ok || d != 120*time.Second {
		t.Fatalf("got second ejection %v for %s, want true for 120s", ok, d)
	}
	for _, s := range []struct {
		at   time.Duration
		want bool
	}{{180 * time.Second, true}, {180200 * time.Millisecond, false}} {
		if got := o.ejected(ep.host, at(s.at)); got != s.want {
			t.Fatalf("got ejected=%v at %s, want %v", got, s.at, s.want)
		}
	}
	if got := ep.stats.ejections.Load(); got != 2 {
		t.Fatalf("got %d ejections counted, want 2", got)
	}
}

// Ejection time grows with the times ejected up to MaxEjection (300 s), and
// each Interval (30 s) back in service forgives one past ejection.
func TestOutlierEjectionGrowthCapAndForgiveness(t *testing.T) {
	o, cfg, eps := detector(2)
	ep := eps[0]
	now := time.Unix(1_700_000_000, 0)
	want := []time.Duration{60, 120, 180, 240, 300, 300, 300}
	for i, w := range want {
		fail(o, cfg, ep, eps, 4, now)
		d, ok := o.record(cfg, ep.host, eps, true, now)
		if !ok || d != w*time.Second {
			t.Fatalf("ejection %d: got %v for %s, want true for %s", i+1, ok, d, w*time.Second)
		}
		now = now.Add(d) // back exactly when the ejection ends
	}
	// 7 past ejections; 3 intervals in service forgive 3 of them, so the
	// next counts as the 5th (300 s); after it, 5 intervals forgive all.
	now = now.Add(3 * 30 * time.Second)
	if d, ok := o.record(cfg, ep.host, eps, true, now); ok {
		t.Fatalf("got ejected for %s after 1 error, want kept", d)
	}
	fail(o, cfg, ep, eps, 4, now)
	if d := time.Duration(ep.ejectedUntil.Load() - now.UnixNano()); d != 300*time.Second {
		t.Fatalf("got ejection of %s after 3 intervals in service, want 300s", d)
	}
	now = now.Add(300*time.Second + 5*30*time.Second)
	fail(o, cfg, ep, eps, 5, now)
	if d := time.Duration(ep.ejectedUntil.Load() - now.UnixNano()); d != 60*time.Second {
		t.Fatalf("got ejection of %s after 5 intervals in service, want 60s", d)
	}
}

// Never more than MaxEjectionPercent of the instances, but one may always be.
func TestOutlierMaxEjectionPercent(t *testing.T) {
	tests := []struct {
		instances, percent, want int
	}{
		{4, 50, 2},
		{3, 50, 1},
		{10, 50, 5},
		{1, 50, 1}, // the floor: 50 % of 1 rounds to 0, one may still be ejected
		{2, 10, 1},
		{5, 100, 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d instances %d%%", tt.instances, tt.percent), func(t *testing.T) {
			o, cfg, eps := detector(tt.instances)
			cfg.MaxEjectionPercent = tt.percent
			now := time.Unix(1_700_000_000, 0)
			for _, ep := range eps {
				fail(o, cfg, ep, eps, 5, now)
			}
			got := 0
			for _, ep := range eps {
				if o.ejected(ep.host, now) {
					got++
				}
			}
			if got != tt.want {
				t.Fatalf("got %d ejected, want %d", got, tt.want)
			}
		})
	}
}

// Through the Client: a failing instance leaves the rotation after its 5th
// 5xx, the other takes all traffic, and it returns after 60 s.
func TestOutlierEjectsFailingInstance(t *testing.T) {
	clock := newClock()
	a, b := inst("a", 1), inst("b", 2)
	tr := &fakeTransport{answer: statusByHost(map[string]int{a.HostPort(): 503})}
	c := newClient(t, Config{
		Discoverer: static(a, b), Transport: tr, Clock: clock, Random: seeded(1),
		RefreshInterval: time.Hour,
		Policy:          Policy{LoadBalancer: RoundRobin, Retry: Retry{Attempts: 1}},
	})
	for range 10 { // round robin: 5 to a, 5 to b
		get(t, c, "http://svc/")
	}
	before := tr.count(a.HostPort())
	for range 100 {
		if s := get(t, c, "http://svc/"); s != 200 {
			t.Fatalf("got status %d with a ejected, want 200", s)
		}
	}
	if got := tr.count(a.HostPort()) - before; got != 0 || before != 5 {
		t.Fatalf("got %d requests to a before ejection and %d after, want 5 and 0", before, got)
	}
	clock.Advance(60100 * time.Millisecond)
	for range 2 {
		get(t, c, "http://svc/")
	}
	if got := tr.count(a.HostPort()) - before; got != 1 {
		t.Fatalf("got %d requests to a after 60.1 s, want 1 (back in rotation)", got)
	}
	var ej uint64
	for _, r := range c.Snapshot().Rows {
		if r.Instance == "a" {
			ej = r.Ejections
		}
	}
	if ej != 1 {
		t.Fatalf("got %d ejections of a in the snapshot, want 1", ej)
	}
}
