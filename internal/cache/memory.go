package cache

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Memory is an in-memory Store: the twin of the DynamoDB store. Entries past
// their Stale time are ignored and dropped on read.
type Memory struct {
	mu      sync.Mutex
	entries map[string]Entry
	now     func() time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store. Nil now means time.Now.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{entries: map[string]Entry{}, now: now}
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (*Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return nil, nil
	}
	if !m.now().Before(e.Stale) {
		delete(m.entries, key)
		return nil, nil
	}
	e.Header = e.Header.Clone()
	return &e, nil
}

// Put implements Store.
func (m *Memory) Put(_ context.Context, key string, e *Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *e
	c.Header = http.Header(e.Header).Clone()
	c.Body = append([]byte(nil), e.Body...)
	m.entries[key] = c
	return nil
}

// Len returns the number of entries held, expired or not.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
