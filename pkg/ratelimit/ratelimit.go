// Package ratelimit decides whether a request is within its limit.
//
// This is the walking-skeleton limiter: fixed windows counted in a Store, one
// conditional write per decision. The DynamoDB Store (package ratelimit/dynamo)
// increments a counter only while it is below the limit, so concurrent callers
// on many function instances never admit more than the limit per window.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Store counts requests per key and window.
type Store interface {
	// Take adds one to the counter of key if it is below limit, creating the
	// counter if needed with an expiry of expires. It returns the counter's value
	// after the call and whether the request was counted (admitted).
	Take(ctx context.Context, key string, limit int64, expires time.Time) (count int64, ok bool, err error)
}

// Config configures a Limiter.
type Config struct {
	// Name identifies the limit in keys and logs, e.g. "ip".
	Name string
	// Requests is how many requests a key may make per window. Required.
	Requests int64
	// Window is the length of a fixed window. Required, at least one second.
	Window time.Duration
	// Store keeps the counters. Required.
	Store Store
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("ratelimit: config: Name is required")
	case c.Requests < 1:
		return fmt.Errorf("ratelimit: config: %s: Requests %d: want at least 1", c.Name, c.Requests)
	case c.Window < time.Second:
		return fmt.Errorf("ratelimit: config: %s: Window %s: want at least 1s", c.Name, c.Window)
	case c.Store == nil:
		return fmt.Errorf("ratelimit: config: %s: Store is required", c.Name)
	}
	return nil
}

// Decision is the answer for one request.
type Decision struct {
	// Allowed says whether the request may proceed.
	Allowed bool
	// Limit is the number of requests allowed per window.
	Limit int64
	// Remaining is how many more requests the window admits.
	Remaining int64
	// Reset is when the current window ends.
	Reset time.Time
}

// Limiter applies one limit.
type Limiter struct {
	cfg Config
}

// New returns a Limiter.
func New(cfg Config) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg}, nil
}

// Allow counts one request for key and decides.
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	now := l.cfg.Now()
	start := now.Truncate(l.cfg.Window)
	reset := start.Add(l.cfg.Window)
	storeKey := fmt.Sprintf("%s#%s#%d", l.cfg.Name, key, start.Unix())
	// Keep the item one window past its end so late readers still see it.
	count, ok, err := l.cfg.Store.Take(ctx, storeKey, l.cfg.Requests, reset.Add(l.cfg.Window))
	if err != nil {
		return Decision{}, fmt.Errorf("ratelimit: %s: %w", l.cfg.Name, err)
	}
	return Decision{Allowed: ok, Limit: l.cfg.Requests, Remaining: max(l.cfg.Requests-count, 0), Reset: reset}, nil
}

// Memory is an in-memory Store for tests and single-process use. Expired
// counters are dropped lazily.
type Memory struct {
	mu       sync.Mutex
	counters map[string]memoryCounter
	now      func() time.Time
}

type memoryCounter struct {
	n       int64
	expires time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store. Nil now means time.Now.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{counters: map[string]memoryCounter{}, now: now}
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, key string, limit int64, expires time.Time) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counters[key]
	if !ok || !m.now().Before(c.expires) {
		c = memoryCounter{expires: expires}
	}
	if c.n >= limit {
		return c.n, false, nil
	}
	c.n++
	m.counters[key] = c
	return c.n, true, nil
}
