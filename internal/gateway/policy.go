package gateway

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/pkg/mesh"
)

// TimeoutPolicies makes the mesh client's per-try timeouts agree with the
// route table. The mesh gives each attempt mesh.DefaultPerTryTimeout (2 s)
// unless a policy says otherwise, so a route with a 30 s timeout would
// otherwise end after 2 s per try. Set as the mesh client's PolicySource, it
// answers each service's policy (the inner source's, or the configured one)
// with Retry.PerTryTimeout raised to the longest timeout the current route
// table sets explicitly for that service. Routes without a timeout keep the
// mesh's per-try timeout and retries within their DefaultTimeout. The mesh
// reads policies once per PolicyInterval per service, so a new table's
// timeouts apply within that interval.
type TimeoutPolicies struct {
	inner    mesh.PolicySource // may be nil
	base     mesh.Policy
	per      map[string]mesh.Policy
	timeouts atomic.Pointer[map[string]time.Duration]
}

var _ mesh.PolicySource = (*TimeoutPolicies)(nil)

// NewTimeoutPolicies returns a TimeoutPolicies over inner (nil for none) and
// the mesh client's configured Policy and Policies.
func NewTimeoutPolicies(inner mesh.PolicySource, base mesh.Policy, per map[string]mesh.Policy) *TimeoutPolicies {
	return &TimeoutPolicies{inner: inner, base: base, per: per}
}

// Use takes the timeouts of t; route.StoreConfig.OnChange calls it.
func (p *TimeoutPolicies) Use(t *route.Table) {
	m := t.ServiceTimeouts()
	p.timeouts.Store(&m)
}

// Policy returns service's policy with its per-try timeout raised to the
// route table's timeout for it.
func (p *TimeoutPolicies) Policy(ctx context.Context, service string) (mesh.Policy, bool, error) {
	pol, ok, err := mesh.Policy{}, false, error(nil)
	if p.inner != nil {
		if pol, ok, err = p.inner.Policy(ctx, service); err != nil {
			return pol, ok, err
		}
	}
	var want time.Duration
	if m := p.timeouts.Load(); m != nil {
		want = (*m)[service]
	}
	if want == 0 {
		return pol, ok, nil
	}
	if !ok {
		if pol, ok = p.per[service]; !ok {
			pol = p.base
		}
	}
	cur := time.Duration(pol.Retry.PerTryTimeout)
	if cur == 0 {
		cur = mesh.DefaultPerTryTimeout
	}
	if want > cur {
		pol.Retry.PerTryTimeout = mesh.Duration(want)
	}
	return pol, true, nil
}
