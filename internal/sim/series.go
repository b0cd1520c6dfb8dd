package sim

import (
	"slices"
	"time"
)

// series counts events per slot of a fixed width from an origin.
type series struct {
	origin time.Time
	width  time.Duration
	n      []int64
}

func newSeries(origin time.Time, width time.Duration) *series {
	return &series{origin: origin, width: width}
}

// add counts k events at t (before the origin: the first slot).
func (s *series) add(t time.Time, k int64) {
	i := max(int(t.Sub(s.origin)/s.width), 0)
	for len(s.n) <= i {
		s.n = append(s.n, 0)
	}
	s.n[i] += k
}

// peak is the largest slot.
func (s *series) peak() int64 {
	if len(s.n) == 0 {
		return 0
	}
	return slices.Max(s.n)
}

// at returns slot i, 0 beyond the last.
func (s *series) at(i int) int64 {
	if i < 0 || i >= len(s.n) {
		return 0
	}
	return s.n[i]
}

// quantile returns the q-quantile of durations (0 for none), sorting them.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(q * float64(len(d)-1))
	return d[i]
}
