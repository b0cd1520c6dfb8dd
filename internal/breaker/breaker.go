// Package breaker stops calling a dependency that has stopped answering.
//
// Each call to a store in the request path has its own timeout, but a
// request makes several in a row (the configuration's refresh, the network
// limits, the API key, the caller's limits, the cache): when the store
// hangs, every request waits out each timeout in turn, instances pile up
// and, with a generous timeout, reach their own deadline. A Breaker counts
// consecutive calls that found the dependency unavailable; after Failures
// of them it opens, and calls fail at once with ErrOpen, so that each store
// applies its declared fail mode without waiting. After Cooldown one call
// goes through as a probe: its success closes the breaker, its failure
// opens it again for twice as long, up to MaxCooldown: the dependency's
// return is noticed within MaxCooldown.
//
// A Breaker counts unavailability only (the caller says which errors are):
// an answer that is an error, such as a failed condition, is an answer.
package breaker

import (
	"errors"
	"sync"
	"time"
)

// ErrOpen is the error of a call the open breaker refused.
var ErrOpen = errors.New("breaker: open: the dependency stopped answering")

// Config configures a Breaker.
type Config struct {
	// Failures is how many consecutive unavailable calls open the breaker;
	// default 5.
	Failures int
	// Cooldown is how long it stays open the first time; default 1s. It
	// doubles with each failed probe, up to MaxCooldown (default 4s).
	Cooldown, MaxCooldown time.Duration
	// Now is the time source; nil means time.Now.
	Now func() time.Time
}

// Breaker is a circuit breaker; safe for concurrent use.
type Breaker struct {
	cfg Config

	mu       sync.Mutex
	failures int
	openTill time.Time
	cooldown time.Duration
	probing  bool
	// Opened counts the times the breaker opened.
	opened int
}

// New returns a closed Breaker.
func New(cfg Config) *Breaker {
	if cfg.Failures <= 0 {
		cfg.Failures = 5
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = time.Second
	}
	if cfg.MaxCooldown < cfg.Cooldown {
		cfg.MaxCooldown = max(4*time.Second, cfg.Cooldown)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Breaker{cfg: cfg, cooldown: cfg.Cooldown}
}

// Allow says whether a call may go: nil, or ErrOpen. A nil answer must be
// followed by Done with the call's outcome.
func (b *Breaker) Allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openTill.IsZero() {
		return nil
	}
	if b.probing || b.cfg.Now().Before(b.openTill) {
		return ErrOpen
	}
	b.probing = true // one probe at a time
	return nil
}

// Done records a call's outcome: unavailable says the dependency did not
// answer (a timeout, a refused or reset connection, a server error).
func (b *Breaker) Done(unavailable bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	probe := b.probing
	b.probing = false
	if !unavailable {
		b.failures, b.openTill, b.cooldown = 0, time.Time{}, b.cfg.Cooldown
		return
	}
	b.failures++
	switch {
	case probe:
		b.cooldown = min(2*b.cooldown, b.cfg.MaxCooldown)
		b.openTill = b.cfg.Now().Add(b.cooldown)
	case b.openTill.IsZero() && b.failures >= b.cfg.Failures:
		b.openTill = b.cfg.Now().Add(b.cooldown)
		b.opened++
	}
}

// Opened returns how many times the breaker opened.
func (b *Breaker) Opened() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opened
}
