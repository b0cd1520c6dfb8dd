package breaker

import (
	"errors"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// The breaker opens after Failures consecutive unavailable calls, refuses
// while open, lets one probe through after the cooldown, reopens for twice
// as long when it fails and closes when it succeeds; an answered call in
// between resets the count.
func TestBreaker(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	b := New(Config{Failures: 3, Cooldown: time.Second, MaxCooldown: 3 * time.Second, Now: c.now})
	call := func(unavailable bool) error {
		if err := b.Allow(); err != nil {
			return err
		}
		b.Done(unavailable)
		return nil
	}
	steps := []struct {
		name        string
		advance     time.Duration
		unavailable bool
		wantOpen    bool // the call was refused
	}{
		{"failure 1", 0, true, false},
		{"failure 2", 0, true, false},
		{"an answer resets the count", 0, false, false},
		{"failure 1 again", 0, true, false},
		{"failure 2 again", 0, true, false},
		{"failure 3 opens", 0, true, false},
		{"open", 0, false, true},
		{"still open before the cooldown", 999 * time.Millisecond, false, true},
		{"a failed probe", time.Millisecond, true, false},
		{"open for 2 s now", 1999 * time.Millisecond, false, true},
		{"another failed probe", time.Millisecond, true, false},
		{"open for 3 s (the cap)", 2999 * time.Millisecond, false, true},
		{"a good probe closes", time.Millisecond, false, false},
		{"closed", 0, false, false},
	}
	for _, s := range steps {
		c.add(s.advance)
		err := call(s.unavailable)
		if refused := errors.Is(err, ErrOpen); refused != s.wantOpen {
			t.Fatalf("%s: got %v, want refused: %v", s.name, err, s.wantOpen)
		}
	}
	if b.Opened() != 1 {
		t.Fatalf("got opened %d times, want 1 (probes reopen it, they do not count)", b.Opened())
	}
}

// While a probe is in flight, other calls are refused: one call tests the
// dependency, not every caller at once.
func TestOneProbeAtATime(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	b := New(Config{Failures: 1, Cooldown: time.Second, Now: c.now})
	b.Allow()
	b.Done(true)
	c.add(time.Second)
	if err := b.Allow(); err != nil {
		t.Fatalf("the probe: got %v, want it allowed", err)
	}
	if err := b.Allow(); !errors.Is(err, ErrOpen) {
		t.Fatalf("during the probe: got %v, want ErrOpen", err)
	}
	b.Done(false)
	if err := b.Allow(); err != nil {
		t.Fatalf("after a good probe: got %v, want allowed", err)
	}
}
