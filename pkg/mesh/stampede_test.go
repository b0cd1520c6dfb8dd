package mesh

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeOneCall is a fakeReviser whose discovery answer carries the revision.
type fakeOneCall struct {
	fakeReviser
	oneCalls int
}

func (f *fakeOneCall) DiscoverRevision(_ context.Context, service string) ([]Instance, int64, bool, error) {
	f.mu.Lock()
	f.oneCalls++
	f.mu.Unlock()
	instances, err := f.discover(service)
	if err != nil {
		return nil, 0, false, err
	}
	rev, err := f.revision(service)
	return instances, rev, err == nil, nil
}

// With a RevisionDiscoverer, a service with nothing cached is discovered in
// one call, whose revision the next refresh compares; without one, the
// first use costs a revision check and a discovery.
func TestColdDiscoveryInOneCall(t *testing.T) {
	tests := []struct {
		name                    string
		oneCall                 bool
		wantFirst, wantAfterOne [3]int // revision checks, discoveries, one-call discoveries
	}{
		{"RevisionDiscoverer", true, [3]int{0, 0, 1}, [3]int{1, 0, 1}},
		{"Reviser only", false, [3]int{1, 1, 0}, [3]int{2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			f := &fakeOneCall{fakeReviser: fakeReviser{
				fakeDiscoverer: fakeDiscoverer{discover: func(string) ([]Instance, error) { return []Instance{inst("a", 1)}, nil }},
				revision:       func(string) (int64, error) { return 7, nil },
			}}
			var d Discoverer = f
			if !tt.oneCall {
				d = &f.fakeReviser
			}
			c := newClient(t, Config{Discoverer: d, Clock: clock, RefreshInterval: 10 * time.Second})
			counts := func() [3]int {
				f.mu.Lock()
				defer f.mu.Unlock()
				return [3]int{f.revCalls, f.calls, f.oneCalls}
			}
			if _, err := c.Pick(context.Background(), "svc"); err != nil {
				t.Fatal(err)
			}
			if got := counts(); got != tt.wantFirst {
				t.Fatalf("first use: got [revision checks, discoveries, one-call discoveries] %v, want %v", got, tt.wantFirst)
			}
			clock.Advance(10 * time.Second)
			if _, err := c.Pick(context.Background(), "svc"); err != nil {
				t.Fatal(err)
			}
			if got := counts(); got != tt.wantAfterOne {
				t.Fatalf("after an interval, revision unchanged: got %v, want %v", got, tt.wantAfterOne)
			}
		})
	}
}

// RefreshJitter shortens each interval by a random share of up to itself:
// with the random source at 0.5 and a jitter of 0.2, a 10 s interval
// lasts 9 s. Without jitter it lasts exactly 10 s.
func TestRefreshJitter(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		lasts  time.Duration
	}{
		{"none", 0, 10 * time.Second},
		{"0.2 at 0.5", 0.2, 9 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			d := static(inst("a", 1))
			c := newClient(t, Config{Discoverer: d, Clock: clock, RefreshInterval: 10 * time.Second, RefreshJitter: tt.jitter, Random: fixedRand{0.5}})
			pick := func() int {
				t.Helper()
				if _, err := c.Pick(context.Background(), "svc"); err != nil {
					t.Fatal(err)
				}
				d.mu.Lock()
				defer d.mu.Unlock()
				return d.calls
			}
			pick()
			clock.Advance(tt.lasts - time.Millisecond)
			if got := pick(); got != 1 {
				t.Fatalf("just before %s: got %d discoveries, want 1", tt.lasts, got)
			}
			clock.Advance(time.Millisecond)
			if got := pick(); got != 2 {
				t.Fatalf("at %s: got %d discoveries, want 2", tt.lasts, got)
			}
		})
	}
}

// A service that cannot be discovered with nothing cached is asked again
// every second without jitter; with jitter, after a jittered exponential
// backoff (with the random source at 0: half of 1 s, 2 s, 4 s, 8 s, 8 s).
func TestColdBackoff(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		waits  []time.Duration
	}{
		{"none", 0, []time.Duration{time.Second, time.Second, time.Second, time.Second, time.Second}},
		{"jittered", 0.2, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			d := &fakeDiscoverer{discover: func(string) ([]Instance, error) { return nil, errors.New("RequestLimitExceeded") }}
			c := newClient(t, Config{Discoverer: d, Clock: clock, RefreshInterval: 30 * time.Second, RefreshJitter: tt.jitter, Random: fixedRand{0}})
			calls := func() int {
				if _, err := c.Pick(context.Background(), "svc"); !errors.Is(err, ErrDiscovery) {
					t.Fatalf("got %v, want ErrDiscovery", err)
				}
				d.mu.Lock()
				defer d.mu.Unlock()
				return d.calls
			}
			if got := calls(); got != 1 {
				t.Fatalf("first use: got %d discoveries, want 1", got)
			}
			for i, w := range tt.waits {
				clock.Advance(w - time.Millisecond)
				if got := calls(); got != i+1 {
					t.Fatalf("failure %d, %s later: got %d discoveries, want %d (no retry before %s)", i+1, w-time.Millisecond, got, i+1, w)
				}
				clock.Advance(time.Millisecond)
				if got := calls(); got != i+2 {
					t.Fatalf("failure %d, %s later: got %d discoveries, want %d", i+1, w, got, i+2)
				}
			}
		})
	}
}

func TestRefreshJitterValidate(t *testing.T) {
	for _, j := range []float64{-0.1, 0.6} {
		if _, err := New(Config{Discoverer: &fakeDiscoverer{}, RefreshJitter: j}); err == nil {
			t.Errorf("got nil error for RefreshJitter %g, want one", j)
		}
	}
}
