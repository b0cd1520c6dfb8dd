package mesh

import (
	"sync"
	"time"
)

// outlier is a service's outlier detector. Ejection state is evaluated lazily
// against the Clock: an instance is ejected while now < its ejectedUntil, so it
// returns to service exactly when its ejection time is over, and each Interval
// it then stays in service forgives one past ejection.
type outlier struct {
	mu sync.Mutex // serialises ejection decisions
}

// ejected reports whether h is out of service at now.
func (o *outlier) ejected(h *host, now time.Time) bool {
	return now.UnixNano() < h.ejectedUntil.Load()
}

// record notes the outcome of an attempt on h, one of the service's
// endpoints all, and ejects h after cfg.Consecutive5xx consecutive failures
// unless that would eject more than cfg.MaxEjectionPercent of all (one may
// always be). It reports whether h was ejected now and for how long.
func (o *outlier) record(cfg Outlier, h *host, all []*endpoint, failed bool, now time.Time) (time.Duration, bool) {
	if cfg.Disabled {
		return 0, false
	}
	if !failed {
		h.consecutive.Store(0)
		return 0, false
	}
	if int(h.consecutive.Add(1)) < cfg.Consecutive5xx {
		return 0, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ejected(h, now) || int(h.consecutive.Load()) < cfg.Consecutive5xx {
		return 0, false // ejected meanwhile by a concurrent failure
	}
	ejected := 0
	for _, ep := range all {
		if o.ejected(ep.host, now) {
			ejected++
		}
	}
	if limit := max(1, len(all)*cfg.MaxEjectionPercent/100); ejected >= limit {
		return 0, false
	}
	if until := h.ejectedUntil.Load(); until != 0 && cfg.Interval > 0 {
		// Forgive one past ejection per interval spent back in service.
		forgiven := int(now.Sub(time.Unix(0, until)) / time.Duration(cfg.Interval))
		h.timesEjected = max(0, h.timesEjected-forgiven)
	}
	h.timesEjected++
	d := min(time.Duration(cfg.BaseEjection)*time.Duration(h.timesEjected), time.Duration(cfg.MaxEjection))
	h.ejectedUntil.Store(now.Add(d).UnixNano())
	h.consecutive.Store(0)
	h.stats.ejections.Add(1)
	return d, true
}
