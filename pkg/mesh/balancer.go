package mesh

import "time"

// pick chooses an endpoint among eps with the service's balancer, leaving out
// ejected endpoints and those already tried by this request, as long as that
// leaves any. When every endpoint is ejected it picks among all of them (a
// panic mode, as Envoy's): some traffic beats none.
func (c *Client) pick(e *entry, eps []*endpoint, tried []*endpoint, now time.Time) *endpoint {
	var buf [16]*endpoint
	ok := buf[:0]
	for _, ep := range eps {
		if !e.outlier.ejected(ep.host, now) && !contains(tried, ep) {
			ok = append(ok, ep)
		}
	}
	if len(ok) == 0 {
		for _, ep := range eps {
			if !contains(tried, ep) {
				ok = append(ok, ep)
			}
		}
	}
	if len(ok) == 0 {
		ok = eps
	}
	if len(ok) == 1 {
		return ok[0]
	}
	if e.pol().balancer == RoundRobin {
		return ok[(e.rr.Add(1)-1)%uint64(len(ok))]
	}
	// Power of two choices: two distinct random endpoints, the less loaded wins.
	i := c.rand.IntN(len(ok))
	j := c.rand.IntN(len(ok) - 1)
	if j >= i {
		j++
	}
	if ok[j].active.Load() < ok[i].active.Load() {
		return ok[j]
	}
	return ok[i]
}

func contains(eps []*endpoint, ep *endpoint) bool {
	for _, x := range eps {
		if x.host == ep.host {
			return true
		}
	}
	return false
}
