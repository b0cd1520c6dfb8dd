package live

import (
	"context"
	"maps"
	"sync"
)

// Source reads the stored configuration; packages config/dynamo and
// config/dynamohttp read the state table.
type Source interface {
	// Revision returns the configuration's revision: a number every write of
	// a document increments, 0 when none was ever written. It is read every
	// refresh, so it must be cheap.
	Revision(ctx context.Context) (int64, error)
	// Documents returns the documents stored under keys (statetable keys),
	// leaving out keys that hold none.
	Documents(ctx context.Context, keys []string) (map[string][]byte, error)
}

// Memory is a Source in memory. Its methods are safe for concurrent use.
type Memory struct {
	mu       sync.Mutex
	revision int64
	docs     map[string][]byte
	// Reads counts the calls made to Revision and Documents.
	Reads struct{ Revision, Documents int }
}

var _ Source = (*Memory)(nil)

// Put stores doc under key (nil removes it) and bumps the revision, as the
// provider does.
func (m *Memory) Put(key string, doc []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.docs == nil {
		m.docs = map[string][]byte{}
	}
	if doc == nil {
		delete(m.docs, key)
	} else {
		m.docs[key] = doc
	}
	m.revision++
}

// Revision implements Source.
func (m *Memory) Revision(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Reads.Revision++
	return m.revision, nil
}

// Documents implements Source.
func (m *Memory) Documents(_ context.Context, keys []string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Reads.Documents++
	out := map[string][]byte{}
	for _, k := range keys {
		if d, ok := m.docs[k]; ok {
			out[k] = d
		}
	}
	return maps.Clone(out), nil
}
