package mesh

import (
	"context"
	"sync"
	"time"
)

// Ejections shares outlier ejections across processes, so that an instance
// one function instance ejects is out of service for all of them at once
// (package mesh/dynamo keeps them in DynamoDB; MemoryEjections in memory).
// With Config.Ejections, a Client publishes each ejection it decides, and
// reads a service's ejections when it refreshes the service's instances: at
// most one read per service per RefreshInterval, whatever the request rate.
type Ejections interface {
	// Eject records that instance (its ID) of service is out of service
	// until until.
	Eject(ctx context.Context, service, instance string, until time.Time) error
	// Ejected returns the service's instances that are out of service at
	// now, with the time each returns.
	Ejected(ctx context.Context, service string, now time.Time) (map[string]time.Time, error)
}

// MemoryEjections shares ejections among the Clients of one process. The
// zero value is ready to use; it is safe for concurrent use.
type MemoryEjections struct {
	mu    sync.Mutex
	until map[string]map[string]time.Time // service → instance → until
}

var _ Ejections = (*MemoryEjections)(nil)

// Eject records the ejection; a later end time wins.
func (m *MemoryEjections) Eject(_ context.Context, service, instance string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.until == nil {
		m.until = map[string]map[string]time.Time{}
	}
	if m.until[service] == nil {
		m.until[service] = map[string]time.Time{}
	}
	if until.After(m.until[service][instance]) {
		m.until[service][instance] = until
	}
	return nil
}

// Ejected returns the ejections of service that last beyond now.
func (m *MemoryEjections) Ejected(_ context.Context, service string, now time.Time) (map[string]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	got := map[string]time.Time{}
	for id, until := range m.until[service] {
		if until.After(now) {
			got[id] = until
		}
	}
	return got, nil
}

// shareEjection publishes the ejection of ep until until; a failure is
// logged and the local ejection stands.
func (c *Client) shareEjection(ctx context.Context, e *entry, ep *endpoint, until time.Time) {
	if c.cfg.Ejections == nil {
		return
	}
	if err := c.cfg.Ejections.Eject(ctx, e.service, ep.inst.ID, until); err != nil {
		c.log.WarnContext(ctx, "mesh: sharing an ejection failed", "service", e.service, "instance", ep.inst.ID, "err", err)
	}
}

// adoptEjections reads the service's shared ejections and puts them in
// effect on v's endpoints; e.mu is held. A failed read keeps the local
// state.
func (c *Client) adoptEjections(ctx context.Context, e *entry, v *view, now time.Time) {
	cfg := e.pol().outlier
	if c.cfg.Ejections == nil || v.err != nil || cfg.Disabled || len(v.all) == 0 {
		return
	}
	shared, err := c.cfg.Ejections.Ejected(ctx, e.service, now)
	if err != nil {
		c.log.WarnContext(ctx, "mesh: reading shared ejections failed, keeping local ones", "service", e.service, "err", err)
		return
	}
	if n := e.outlier.adopt(cfg, v.all, shared, now); n > 0 {
		c.log.InfoContext(ctx, "mesh: instances ejected by other processes", "service", e.service, "count", n)
	}
}

// adopt ejects the endpoints of all that shared ejects beyond their own
// ejection, within cfg.MaxEjectionPercent of all (one may always be). It
// returns how many it ejected. Shared ejections do not count towards an
// instance's times ejected here: the process that decided them keeps that.
func (o *outlier) adopt(cfg Outlier, all []*endpoint, shared map[string]time.Time, now time.Time) int {
	if len(shared) == 0 {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	ejected := 0
	for _, ep := range all {
		if o.ejected(ep.host, now) {
			ejected++
		}
	}
	limit := max(1, len(all)*cfg.MaxEjectionPercent/100)
	n := 0
	for _, ep := range all {
		until, ok := shared[ep.inst.ID]
		if !ok || !until.After(now) || until.UnixNano() <= ep.ejectedUntil.Load() {
			continue
		}
		if !o.ejected(ep.host, now) {
			if ejected >= limit {
				continue
			}
			ejected++
		}
		ep.ejectedUntil.Store(until.UnixNano())
		ep.consecutive.Store(0)
		n++
	}
	return n
}
