package ratelimit

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestAllowFixedWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l, err := New(Config{Name: "ip", Requests: 3, Window: time.Minute, Store: NewMemory(clock), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wantRemaining := []int64{2, 1, 0}
	for i, want := range wantRemaining {
		d, err := l.Allow(ctx, "1.2.3.4")
		if err != nil || !d.Allowed || d.Remaining != want {
			t.Fatalf("request %d: got %+v, %v; want allowed with %d remaining", i+1, d, err, want)
		}
	}
	d, _ := l.Allow(ctx, "1.2.3.4")
	if d.Allowed || d.Remaining != 0 || !d.Reset.Equal(now.Add(time.Minute)) {
		t.Fatalf("4th request: got %+v, want denied, 0 remaining, reset at %s", d, now.Add(time.Minute))
	}
	if d, _ := l.Allow(ctx, "5.6.7.8"); !d.Allowed {
		t.Fatalf("another key: got %+v, want allowed", d)
	}
	// The boundary: the last instant of the window is still denied, the first of
	// the next is allowed.
	now = now.Add(time.Minute - time.Nanosecond)
	if d, _ := l.Allow(ctx, "1.2.3.4"); d.Allowed {
		t.Fatalf("end of window: got %+v, want denied", d)
	}
	now = now.Add(time.Nanosecond)
	if d, _ := l.Allow(ctx, "1.2.3.4"); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("next window: got %+v, want allowed with 2 remaining", d)
	}
}

func TestAllowConcurrentNeverExceeds(t *testing.T) {
	l, _ := New(Config{Name: "k", Requests: 50, Window: time.Hour, Store: NewMemory(nil)})
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := l.Allow(context.Background(), "key")
			if err == nil && d.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 50 {
		t.Fatalf("got %d admitted, want exactly 50", allowed)
	}
}

func TestConfigValidate(t *testing.T) {
	s := NewMemory(nil)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no name", Config{Requests: 1, Window: time.Second, Store: s}},
		{"zero requests", Config{Name: "n", Window: time.Second, Store: s}},
		{"sub-second window", Config{Name: "n", Requests: 1, Window: time.Millisecond, Store: s}},
		{"no store", Config{Name: "n", Requests: 1, Window: time.Second}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: got nil error, want one", tt.name)
		}
	}
}
