package meshproxy

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
)

// metrics writes the mesh clients' counts since the last write as
// CloudWatch embedded metric format lines (mesh.WriteEMF): rows without
// requests are left out.
type metrics struct {
	w         io.Writer
	namespace string
	clients   []*mesh.Client
	off       bool

	mu   sync.Mutex
	prev []mesh.Snapshot
	last time.Time
}

// due reports whether interval has passed since the last write; a zero
// interval writes at shutdown only.
func (m *metrics) due(now time.Time, interval time.Duration) bool {
	if m.off || interval <= 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return now.Sub(m.last) >= interval
}

// flush writes the counts since the last flush.
func (m *metrics) flush(ctx context.Context, log *slog.Logger) {
	if m.off {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.prev == nil {
		m.prev = make([]mesh.Snapshot, len(m.clients))
	}
	for i, c := range m.clients {
		snap := c.Snapshot()
		delta := snap.Since(m.prev[i])
		rows := delta.Rows[:0:0]
		for _, r := range delta.Rows {
			if r.Requests > 0 || r.Active > 0 || r.FaultAborts > 0 || r.FaultDelays > 0 {
				rows = append(rows, r)
			}
		}
		delta.Rows = rows
		if err := mesh.WriteEMF(m.w, delta, m.namespace); err != nil {
			log.WarnContext(ctx, "portico-mesh: metrics not written", "err", err)
			continue
		}
		m.prev[i] = snap
	}
	m.last = time.Now()
}
