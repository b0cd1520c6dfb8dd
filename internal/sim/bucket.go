package sim

import (
	"math"
	"time"
)

// bucket is a token bucket on the time package's clock (simulated inside a
// testing/synctest bubble): Rate tokens a second, at most Burst held, full at
// first use.
type bucket struct {
	rate, burst float64
	tokens      float64
	at          time.Time
	started     bool
}

func newBucket(rate, burst float64) *bucket {
	return &bucket{rate: rate, burst: burst}
}

// take takes n tokens at now and reports whether there were enough; it takes
// nothing when there were not.
func (b *bucket) take(now time.Time, n float64) bool {
	if !b.started {
		b.tokens, b.at, b.started = b.burst, now, true
	}
	if now.After(b.at) {
		b.tokens = math.Min(b.burst, b.tokens+b.rate*now.Sub(b.at).Seconds())
		b.at = now
	}
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}
