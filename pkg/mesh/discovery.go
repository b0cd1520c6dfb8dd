package mesh

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Discoverer lists the instances of a service. Implementations return every
// registered instance with its health (HealthStatus ALL in Cloud Map terms);
// the Client filters by health and attributes itself.
type Discoverer interface {
	Discover(ctx context.Context, service string) ([]Instance, error)
}

// Reviser is implemented by Discoverers that can report, cheaply, a number
// that changes whenever a service's instances are registered or deregistered
// (Cloud Map's DiscoverInstancesRevision). The Client then checks the revision
// each RefreshInterval and discovers again only when it changed, or every
// ResyncInterval (health changes do not change a Cloud Map revision).
type Reviser interface {
	Revision(ctx context.Context, service string) (int64, error)
}

// RevisionDiscoverer is a Reviser whose discovery also reports the revision
// of the instances it found (Cloud Map's DiscoverInstances does). A full
// discovery then needs no revision check of its own, so a service costs one
// registry call per RefreshInterval at steady state, resyncs included.
type RevisionDiscoverer interface {
	DiscoverRevision(ctx context.Context, service string) ([]Instance, int64, error)
}

// coldRetry bounds the discovery rate for a service with nothing cached.
const coldRetry = time.Second

// maxColdBackoff caps the wait between failed discoveries of a service with
// nothing cached, with RefreshJitter.
const maxColdBackoff = 8 * time.Second

// interval returns d shortened by a random share of up to RefreshJitter, so
// that processes that started together do not refresh together.
func (c *Client) interval(d time.Duration) time.Duration {
	if c.cfg.RefreshJitter <= 0 {
		return d
	}
	return d - time.Duration(c.cfg.RefreshJitter*c.rand.Float64()*float64(d))
}

// coldBackoff is the wait before discovering again a service whose
// failures-th discovery in a row failed with nothing cached: coldRetry, or
// with RefreshJitter a jittered exponential backoff (half of the nominal
// delay plus a random share of the other half) from coldRetry up to
// maxColdBackoff. Both stay within RefreshInterval.
func (c *Client) coldBackoff(failures int) time.Duration {
	if c.cfg.RefreshJitter <= 0 {
		return min(coldRetry, c.cfg.RefreshInterval)
	}
	d := min(coldRetry<<min(failures-1, 8), maxColdBackoff, c.cfg.RefreshInterval)
	return d/2 + time.Duration(c.rand.Float64()*float64(d/2))
}

// entry is the state of one service in one Client.
type entry struct {
	service string
	policy  atomic.Pointer[resolved] // the policy in effect; replaced by refresh

	policyNext time.Time // when to read the PolicySource again; guarded by mu
	// policyDue is policyNext in Unix nanoseconds, for a lock-free check.
	policyDue atomic.Int64

	mu    sync.Mutex // held while refreshing, so one caller asks per service
	view  atomic.Pointer[view]
	hosts map[string]*host // by instance key; guarded by hostsMu
	// hostsMu guards hosts; readers are Snapshot and refresh.
	hostsMu sync.Mutex

	rr       atomic.Uint64 // round-robin position
	inflight atomic.Int64  // requests in flight (Pool.MaxRequests)
	conns    atomic.Int64  // open connections (Pool.MaxConnections)
	budget   budget
	outlier  outlier

	faultDelays atomic.Uint64
	faultAborts atomic.Uint64

	policyUpdates atomic.Uint64 // control-plane policies put in effect
	policyErrors  atomic.Uint64 // control-plane policies that failed to read or validate
}

// view is an immutable, filtered picture of a service's instances.
type view struct {
	expires  time.Time // fresh until
	synced   time.Time // last full Discover
	revision int64
	hasRev   bool
	err      error // discovery failed with nothing cached
	failures int   // discoveries failed in a row with nothing cached

	raw      []Instance             // as discovered, to rebuild when the policy changes
	all      []*endpoint            // after Match and health filtering
	versions map[string][]*endpoint // all, grouped by version, each health-filtered
}

// pol returns the policy in effect.
func (e *entry) pol() *resolved { return e.policy.Load() }

// endpoint is one instance in one view; its mutable state lives in host,
// which outlives refreshes.
type endpoint struct {
	inst     Instance
	hostPort string
	version  string
	*host
}

// host is the state of an instance kept across refreshes.
type host struct {
	active atomic.Int64 // attempts in flight
	stats  stats
	// outlier state
	consecutive  atomic.Int32
	ejectedUntil atomic.Int64 // unix nanoseconds; 0 when never ejected
	timesEjected int          // guarded by outlier.mu
}

// fresh returns a view that is usable now, refreshing it when it is stale. At
// most one caller per service refreshes; while one does, others keep using the
// last known view instead of queueing behind the registry.
func (c *Client) fresh(ctx context.Context, e *entry) (*view, error) {
	v := e.view.Load()
	if v != nil && c.clock.Now().Before(v.expires) {
		if c.cfg.PolicySource != nil && v.err == nil && c.clock.Now().UnixNano() >= e.policyDue.Load() && e.mu.TryLock() {
			// The policy is due before the instances are: read it on its
			// own interval (a PolicySource from memory costs nothing), and
			// rebuild the view from the same instances when it changed.
			v = c.refreshPolicy(ctx, e)
			e.mu.Unlock()
		}
		return v.result()
	}
	if v != nil && v.err == nil {
		if !e.mu.TryLock() {
			return v.result()
		}
	} else {
		e.mu.Lock()
	}
	defer e.mu.Unlock()
	v = e.view.Load()
	now := c.clock.Now()
	if v != nil && now.Before(v.expires) {
		return v.result()
	}
	v = c.refresh(ctx, e, v, now)
	e.view.Store(v)
	return v.result()
}

func (v *view) result() (*view, error) {
	if v.err != nil {
		return nil, v.err
	}
	return v, nil
}

// refreshPolicy reads e's policy when it is due and, when it changed,
// rebuilds the view from the instances it has; e.mu is held.
func (c *Client) refreshPolicy(ctx context.Context, e *entry) *view {
	v := e.view.Load()
	if !c.updatePolicy(ctx, e, c.clock.Now()) || v.err != nil {
		return v
	}
	nv := e.build(v.raw)
	nv.expires, nv.synced, nv.revision, nv.hasRev = v.expires, v.synced, v.revision, v.hasRev
	c.adoptEjections(ctx, e, nv, c.clock.Now())
	for _, eps := range nv.versions {
		for _, ep := range eps {
			c.hosts.Store(ep.hostPort, e)
		}
	}
	e.view.Store(nv)
	return nv
}

// refresh asks the registry; e.mu is held. A failed refresh keeps old.
func (c *Client) refresh(ctx context.Context, e *entry, old *view, now time.Time) *view {
	changed := c.updatePolicy(ctx, e, now)
	nv, kept := c.refreshInstances(ctx, e, old, now)
	if changed && kept {
		// Same instances, new policy (Match may differ): rebuild from them.
		rebuilt := e.build(nv.raw)
		rebuilt.expires, rebuilt.synced, rebuilt.revision, rebuilt.hasRev = nv.expires, nv.synced, nv.revision, nv.hasRev
		nv = rebuilt
	}
	c.adoptEjections(ctx, e, nv, now)
	// Every endpoint a request may reach: a version's group can hold
	// instances that v.all leaves out (when all of them are unhealthy).
	for _, eps := range nv.versions {
		for _, ep := range eps {
			c.hosts.Store(ep.hostPort, e)
		}
	}
	return nv
}

// refreshInstances returns the view to use from now, and whether it is a copy
// of old with a new expiry (the registry reported no change, or failed).
func (c *Client) refreshInstances(ctx context.Context, e *entry, old *view, now time.Time) (*view, bool) {
	var rev int64
	hasRev := false
	cached := old != nil && old.err == nil
	rd, oneCall := c.cfg.Discoverer.(RevisionDiscoverer)
	// A full discovery is due anyway (first, after a failure, or to resync
	// health): with a RevisionDiscoverer it is one call, without a check first.
	full := !cached || !old.hasRev || now.Sub(old.synced) >= c.cfg.ResyncInterval
	if r, ok := c.cfg.Discoverer.(Reviser); ok && !(full && oneCall) {
		got, err := r.Revision(ctx, e.service)
		switch {
		case err != nil:
			c.log.DebugContext(ctx, "mesh: revision check failed, discovering", "service", e.service, "err", err)
		case cached && old.hasRev && old.revision == got && now.Sub(old.synced) < c.cfg.ResyncInterval:
			nv := *old
			nv.expires = now.Add(c.interval(c.cfg.RefreshInterval))
			return &nv, true
		default:
			rev, hasRev = got, true
		}
	}
	var got []Instance
	var err error
	if oneCall {
		got, rev, err = rd.DiscoverRevision(ctx, e.service)
		hasRev = err == nil
	} else {
		got, err = c.cfg.Discoverer.Discover(ctx, e.service)
	}
	if err != nil {
		if cached {
			c.log.WarnContext(ctx, "mesh: discovery failed, keeping last known instances", "service", e.service, "err", err)
			nv := *old
			nv.expires = now.Add(c.interval(c.cfg.RefreshInterval)) // no retry storm while the registry is down
			return &nv, true
		}
		failures := 1
		if old != nil {
			failures = old.failures + 1
		}
		return &view{expires: now.Add(c.coldBackoff(failures)), failures: failures, err: fmt.Errorf("%w: %s: %w", ErrDiscovery, e.service, err)}, false
	}
	nv := e.build(got)
	nv.expires, nv.synced, nv.revision, nv.hasRev = now.Add(c.interval(c.cfg.RefreshInterval)), now, rev, hasRev
	return nv, false
}

// build filters instances by Match and groups them by version, each group
// healthy-or-else-all. Hosts are kept for instances seen before.
func (e *entry) build(instances []Instance) *view {
	e.hostsMu.Lock()
	defer e.hostsMu.Unlock()
	hosts := make(map[string]*host, len(instances))
	pol := e.pol()
	var eps []*endpoint
	for _, in := range instances {
		if !matches(in.Attributes, pol.match) {
			continue
		}
		hp := in.HostPort()
		key := in.ID + "@" + hp
		h := e.hosts[key]
		if h == nil {
			h = &host{}
		}
		hosts[key] = h
		eps = append(eps, &endpoint{inst: in, hostPort: hp, version: in.Attributes[AttrVersion], host: h})
	}
	e.hosts = hosts
	v := &view{raw: instances, all: healthyOrAll(eps), versions: map[string][]*endpoint{}}
	groups := map[string][]*endpoint{}
	for _, ep := range eps {
		groups[ep.version] = append(groups[ep.version], ep)
	}
	for ver, g := range groups {
		v.versions[ver] = healthyOrAll(g)
	}
	return v
}

func matches(attrs, want map[string]string) bool {
	for k, v := range want {
		if attrs[k] != v {
			return false
		}
	}
	return true
}

// healthyOrAll returns the healthy endpoints, or all of them when none is
// healthy (Cloud Map's HEALTHY_OR_ELSE_ALL, done on the client).
func healthyOrAll(eps []*endpoint) []*endpoint {
	healthy := make([]*endpoint, 0, len(eps))
	for _, ep := range eps {
		if ep.inst.Health != HealthUnhealthy {
			healthy = append(healthy, ep)
		}
	}
	if len(healthy) == 0 {
		return eps
	}
	return healthy
}
