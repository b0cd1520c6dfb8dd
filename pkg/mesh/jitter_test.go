package mesh

import (
	"context"
	"errors"
	"testing"
	"time"
)

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
