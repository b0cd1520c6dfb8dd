package usage

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// Row is a counter as read back: one kind and ID in one hour.
type Row struct {
	Hour   time.Time
	Kind   Kind
	ID     string
	Total  int64
	Routes map[string]int64
}

// Memory is a Store in memory, the twin of the DynamoDB store for tests and
// examples. Safe for concurrent use.
type Memory struct {
	mu    sync.Mutex
	hours map[time.Time]map[itemKey]*Item
	// Adds counts the calls to Add.
	Adds int
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{hours: map[time.Time]map[itemKey]*Item{}} }

// Add implements Store.
func (m *Memory) Add(_ context.Context, hour time.Time, items []Item) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Adds++
	copied := map[itemKey]*Item{}
	for _, it := range items {
		it.Routes = maps.Clone(it.Routes)
		copied[itemKey{it.Kind, it.ID}] = &it
	}
	merge(m.hours, hour.UTC(), copied)
	return nil
}

// Read returns the counters of kind in the hours from from to to (both
// included), of ids, or of every ID the hours list when ids is empty, by
// hour then ID.
func (m *Memory) Read(_ context.Context, from, to time.Time, kind Kind, ids []string) ([]Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids = storedIDs(ids)
	var out []Row
	for _, h := range Hours(from, to) {
		items := m.hours[h]
		for _, k := range slices.SortedFunc(maps.Keys(items), compareKeys) {
			if k.kind != kind || len(ids) > 0 && !slices.Contains(ids, k.id) {
				continue
			}
			it := items[k]
			out = append(out, Row{Hour: h, Kind: kind, ID: k.id, Total: it.Total, Routes: maps.Clone(it.Routes)})
		}
	}
	return out, nil
}

// Hours lists the starts of the hours from from's to to's, in UTC.
func Hours(from, to time.Time) []time.Time {
	var out []time.Time
	for h := from.UTC().Truncate(time.Hour); !h.After(to); h = h.Add(time.Hour) {
		out = append(out, h)
	}
	return out
}

// storedIDs maps ids as Record stores them (ID).
func storedIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = ID(id)
	}
	return out
}
