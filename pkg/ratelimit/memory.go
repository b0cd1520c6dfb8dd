package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is an in-memory Store: the twin of the DynamoDB store for tests and
// single-process use. Expired counters are dropped lazily.
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

// Add implements Store.
func (m *Memory) Add(_ context.Context, key string, n, limit int64, expires time.Time) (int64, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counters[key]
	if !ok || !m.now().Before(c.expires) {
		c = memoryCounter{expires: expires}
	}
	granted := max(min(n, limit-c.n), 0)
	c.n += granted
	m.counters[key] = c
	return granted, c.n, nil
}

// Count implements Store.
func (m *Memory) Count(_ context.Context, key string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counters[key]
	if !ok || !m.now().Before(c.expires) {
		return 0, nil
	}
	return c.n, nil
}
