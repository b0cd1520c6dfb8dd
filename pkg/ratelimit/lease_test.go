package ratelimit

import (
	"context"
	"testing"
	"time"
)

// A lease is no larger than the instance is expected to spend before the
// window ends, at its rate for the key in the last window or in this one so
// far: full early in a busy window, small near the end, one for a key the
// instance barely sees.
func TestLeaseShrinksAsTheWindowCloses(t *testing.T) {
	c := newClock()
	store := newCountingStore(c.Now)
	l := mustNew(t, Config{Name: "key", Requests: 10_000, Window: time.Minute, Lease: 50, Store: store, Now: c.Now})
	ctx := context.Background()
	leased := func(start time.Time) int64 {
		t.Helper()
		n, err := store.mem.Count(ctx, l.storeKey("k", start, -1))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	steps := []struct {
		name    string
		at      time.Duration // from the first window's start
		request int           // requests at that moment
		want    int64         // the window's counter afterwards
	}{
		// 100 requests one second into the first window: a rate of 6,000
		// a window, so full leases of 50.
		{"busy first window", time.Second, 100, 100},
		// 54 s into the next: last window's 100 a minute, 6 s left: 10.
		{"next window, 6 s left", time.Minute + 54*time.Second, 1, 10},
		// Half a second before the end of the third, the last window saw 1.
		{"quiet window, 0.5 s left", 2*time.Minute + 59500*time.Millisecond, 1, 1},
	}
	origin := c.Now().Truncate(time.Minute)
	for _, s := range steps {
		c.Set(origin.Add(s.at))
		for range s.request {
			if d, err := l.Allow(ctx, "k"); err != nil || !d.Allowed {
				t.Fatalf("%s: got %+v, %v; want allowed", s.name, d, err)
			}
		}
		if got := leased(c.Now().Truncate(time.Minute)); got != s.want {
			t.Fatalf("%s: got %d tokens taken in the window, want %d", s.name, got, s.want)
		}
	}
}
