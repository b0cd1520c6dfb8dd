package mesh

import (
	"context"
	"reflect"
	"time"
)

// PolicySource reads services' traffic policies from the control plane
// (package mesh/cloudmap reads the Cloud Map service attribute the Terraform
// provider writes). The Client asks it at most once per service per
// Config.PolicyInterval, from the request that refreshes the service.
type PolicySource interface {
	// Policy returns the service's policy; ok is false when the control plane
	// holds none, and the Client then uses Config.Policies or Config.Policy.
	// The Client validates the result; it need not.
	Policy(ctx context.Context, service string) (p Policy, ok bool, err error)
}

// PolicyOrigin says where the policy in effect for a service came from.
type PolicyOrigin string

// Policy origins.
const (
	// OriginConfig: Config.Policies or Config.Policy.
	OriginConfig PolicyOrigin = "config"
	// OriginControlPlane: the PolicySource.
	OriginControlPlane PolicyOrigin = "control-plane"
)

// Policy returns the policy in effect for service and where it came from,
// without asking the registry. A service not used yet has its configured
// policy.
func (c *Client) Policy(service string) (Policy, PolicyOrigin) {
	r := c.entry(service).pol()
	return r.src, r.origin
}

// configured returns the service's policy from the Config.
func (c *Client) configured(service string) Policy {
	if p, ok := c.cfg.Policies[service]; ok {
		return p
	}
	return c.cfg.Policy
}

// setPolicy puts r in effect for e.
func (e *entry) setPolicy(r *resolved) {
	e.budget.init(r.budgetRatio, r.budgetMin, r.budgetTTL)
	e.policy.Store(r)
}

// updatePolicy reads e's policy from the PolicySource when it is due; e.mu is
// held. A read that fails, or a policy that does not validate, keeps the
// policy in effect (the last good one). It reports whether the policy changed.
func (c *Client) updatePolicy(ctx context.Context, e *entry, now time.Time) bool {
	if c.cfg.PolicySource == nil || now.Before(e.policyNext) {
		return false
	}
	e.policyNext = now.Add(c.cfg.PolicyInterval)
	e.policyDue.Store(e.policyNext.UnixNano())
	p, ok, err := c.cfg.PolicySource.Policy(ctx, e.service)
	origin := OriginControlPlane
	switch {
	case err != nil:
		e.policyErrors.Add(1)
		c.log.WarnContext(ctx, "mesh: policy read failed, keeping the policy in effect", "service", e.service, "err", err)
		return false
	case !ok:
		p, origin = c.configured(e.service), OriginConfig
	default:
		if err := p.Validate(); err != nil {
			e.policyErrors.Add(1)
			c.log.WarnContext(ctx, "mesh: control-plane policy is invalid, keeping the last good one", "service", e.service, "err", err)
			return false
		}
	}
	cur := e.pol()
	if cur.origin == origin && reflect.DeepEqual(cur.src, p) {
		return false
	}
	r := resolve(p)
	r.origin = origin
	e.setPolicy(&r)
	e.policyUpdates.Add(1)
	c.log.InfoContext(ctx, "mesh: policy updated", "service", e.service, "origin", origin)
	return true
}
