package mesh

import (
	"context"
	"math/rand/v2"
	"time"
)

// Clock is the Client's time source. Tests pass a fake to drive refresh
// intervals, ejection times, timeouts and backoff without waiting.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d and returns a function
	// that cancels the call (reporting whether it did, like time.Timer.Stop).
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Random is the Client's random source, used for weighted version choice,
// fault injection, power-of-two-choices and backoff jitter. It must be safe for
// concurrent use. Tests pass a seeded source for deterministic results.
type Random interface {
	// Float64 returns a number in [0, 1).
	Float64() float64
	// IntN returns a number in [0, n); n > 0.
	IntN(n int) int
}

type systemClock struct{}

var _ Clock = systemClock{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

type systemRandom struct{}

var _ Random = systemRandom{}

func (systemRandom) Float64() float64 { return rand.Float64() }
func (systemRandom) IntN(n int) int   { return rand.IntN(n) }

// sleep waits d on clock, or until ctx is done.
func sleep(ctx context.Context, clock Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	done := make(chan struct{})
	stop := clock.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		stop()
		return ctx.Err()
	}
}
