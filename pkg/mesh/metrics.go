package mesh

import (
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"sort"
	"sync/atomic"
	"time"
)

// Histogram buckets: durations in nanoseconds, eight buckets per power of
// two (so a percentile is within 12.5 % of the truth), up to about 9 min.
const (
	histSub     = 8
	histBuckets = (40 - 2) * histSub
)

// bucket returns the histogram bucket of ns.
func bucket(ns int64) int {
	if ns < histSub {
		return int(max(ns, 0))
	}
	b := bits.Len64(uint64(ns)) // ≥ 4
	m := ns >> (b - 4)          // top four bits, 8..15
	return min((b-3)*histSub+int(m-histSub), histBuckets-1)
}

// bucketUpper returns the exclusive upper bound of bucket i.
func bucketUpper(i int) time.Duration {
	if i < histSub {
		return time.Duration(i + 1)
	}
	g, m := i/histSub, int64(i%histSub+histSub)
	return time.Duration((m + 1) << (g - 1))
}

// stats are one instance's counters.
type stats struct {
	requests, s2xx, s4xx, s5xx, errors, retries, ejections atomic.Uint64
	hist                                                   [histBuckets]atomic.Uint64
}

// observe counts one attempt; status 0 means a transport error.
func (s *stats) observe(status int, took time.Duration, retry bool) {
	s.requests.Add(1)
	switch {
	case status == 0:
		s.errors.Add(1)
	case status >= 500:
		s.s5xx.Add(1)
	case status >= 400:
		s.s4xx.Add(1)
	case status >= 200 && status < 300:
		s.s2xx.Add(1)
	}
	if retry {
		s.retries.Add(1)
	}
	s.hist[bucket(int64(took))].Add(1)
}

// Stats are the counters of one service, one version of it, or one instance.
// Counters count attempts (a retried request counts once per attempt) since
// the Client started, or over an interval for a Snapshot.Since result.
type Stats struct {
	// Service is the logical service name.
	Service string `json:"service"`
	// Version is the instances' version attribute; empty in service rows.
	Version string `json:"version,omitempty"`
	// Instance is the instance ID; empty in service and version rows.
	Instance string `json:"instance,omitempty"`
	// Requests counts attempts.
	Requests uint64 `json:"requests"`
	// Status2xx, Status4xx and Status5xx count answers by status class.
	Status2xx uint64 `json:"status2xx"`
	Status4xx uint64 `json:"status4xx"`
	Status5xx uint64 `json:"status5xx"`
	// Errors counts attempts without an answer (connect failure, reset,
	// per-try timeout).
	Errors uint64 `json:"errors"`
	// Retries counts attempts after the first.
	Retries uint64 `json:"retries"`
	// Ejections counts outlier ejections.
	Ejections uint64 `json:"ejections"`
	// FaultDelays and FaultAborts count injected faults (service rows only).
	FaultDelays uint64 `json:"faultDelays,omitempty"`
	FaultAborts uint64 `json:"faultAborts,omitempty"`
	// PolicyUpdates counts policies from the PolicySource put in effect, and
	// PolicyErrors those that failed to read or validate (service rows only).
	PolicyUpdates uint64 `json:"policyUpdates,omitempty"`
	PolicyErrors  uint64 `json:"policyErrors,omitempty"`
	// Active is the number of attempts in flight now.
	Active int64 `json:"active"`
	// P50, P95 and P99 are latency percentiles until response headers,
	// as bucket upper bounds (at most 12.5 % above the truth).
	P50 time.Duration `json:"p50"`
	P95 time.Duration `json:"p95"`
	P99 time.Duration `json:"p99"`

	hist []uint64
}

// Snapshot is the Client's metrics at one time.
type Snapshot struct {
	// Time is when the snapshot was taken.
	Time time.Time
	// Rows holds, per service sorted by name: the service row, then one row
	// per version (when instances have versions), then one per instance.
	Rows []Stats
}

// Snapshot returns the metrics of every service and its current instances.
func (c *Client) Snapshot() Snapshot {
	s := Snapshot{Time: c.clock.Now()}
	var entries []*entry
	c.services.Range(func(_, v any) bool {
		entries = append(entries, v.(*entry))
		return true
	})
	sort.Slice(entries, func(i, j int) bool { return entries[i].service < entries[j].service })
	for _, e := range entries {
		svc := Stats{Service: e.service, FaultDelays: e.faultDelays.Load(), FaultAborts: e.faultAborts.Load(),
			PolicyUpdates: e.policyUpdates.Load(), PolicyErrors: e.policyErrors.Load(), hist: make([]uint64, histBuckets)}
		versions := map[string]*Stats{}
		var insts []Stats
		if v := e.view.Load(); v != nil {
			e.hostsMu.Lock()
			seen := map[*host]bool{}
			for ver, eps := range v.versions {
				for _, ep := range eps {
					if seen[ep.host] {
						continue
					}
					seen[ep.host] = true
					row := ep.snapshot(e.service, ver)
					insts = append(insts, row)
					if ver != "" {
						if versions[ver] == nil {
							versions[ver] = &Stats{Service: e.service, Version: ver, hist: make([]uint64, histBuckets)}
						}
						versions[ver].add(row)
					}
					svc.add(row)
				}
			}
			e.hostsMu.Unlock()
		}
		svc.percentiles()
		s.Rows = append(s.Rows, svc)
		var names []string
		for ver := range versions {
			names = append(names, ver)
		}
		sort.Strings(names)
		for _, ver := range names {
			versions[ver].percentiles()
			s.Rows = append(s.Rows, *versions[ver])
		}
		sort.Slice(insts, func(i, j int) bool {
			if insts[i].Version != insts[j].Version {
				return insts[i].Version < insts[j].Version
			}
			return insts[i].Instance < insts[j].Instance
		})
		s.Rows = append(s.Rows, insts...)
	}
	return s
}

func (ep *endpoint) snapshot(service, version string) Stats {
	h := ep.host
	r := Stats{
		Service: service, Version: version, Instance: ep.inst.ID,
		Requests: h.stats.requests.Load(), Status2xx: h.stats.s2xx.Load(), Status4xx: h.stats.s4xx.Load(),
		Status5xx: h.stats.s5xx.Load(), Errors: h.stats.errors.Load(), Retries: h.stats.retries.Load(),
		Ejections: h.stats.ejections.Load(), Active: h.active.Load(), hist: make([]uint64, histBuckets),
	}
	for i := range h.stats.hist {
		r.hist[i] = h.stats.hist[i].Load()
	}
	r.percentiles()
	return r
}

func (s *Stats) add(o Stats) {
	s.Requests += o.Requests
	s.Status2xx += o.Status2xx
	s.Status4xx += o.Status4xx
	s.Status5xx += o.Status5xx
	s.Errors += o.Errors
	s.Retries += o.Retries
	s.Ejections += o.Ejections
	s.Active += o.Active
	for i := range o.hist {
		s.hist[i] += o.hist[i]
	}
}

func (s *Stats) percentiles() {
	s.P50, s.P95, s.P99 = quantile(s.hist, 0.50), quantile(s.hist, 0.95), quantile(s.hist, 0.99)
}

func quantile(hist []uint64, q float64) time.Duration {
	var total uint64
	for _, n := range hist {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.999999)
	var acc uint64
	for i, n := range hist {
		acc += n
		if acc >= rank {
			return bucketUpper(i)
		}
	}
	return bucketUpper(len(hist) - 1)
}

// Since returns the counts between prev and s (a later snapshot of the same
// Client), with percentiles over that interval; Active is s's. Rows absent
// from prev are kept whole.
func (s Snapshot) Since(prev Snapshot) Snapshot {
	type key struct{ s, v, i string }
	old := make(map[key]Stats, len(prev.Rows))
	for _, r := range prev.Rows {
		old[key{r.Service, r.Version, r.Instance}] = r
	}
	out := Snapshot{Time: s.Time, Rows: make([]Stats, len(s.Rows))}
	for i, r := range s.Rows {
		o, ok := old[key{r.Service, r.Version, r.Instance}]
		if ok && o.Requests <= r.Requests {
			r.Requests -= o.Requests
			r.Status2xx -= o.Status2xx
			r.Status4xx -= o.Status4xx
			r.Status5xx -= o.Status5xx
			r.Errors -= o.Errors
			r.Retries -= o.Retries
			r.Ejections -= o.Ejections
			r.FaultDelays -= o.FaultDelays
			r.FaultAborts -= o.FaultAborts
			r.PolicyUpdates -= o.PolicyUpdates
			r.PolicyErrors -= o.PolicyErrors
			h := make([]uint64, len(r.hist))
			for j := range r.hist {
				h[j] = r.hist[j]
				if j < len(o.hist) {
					h[j] -= o.hist[j]
				}
			}
			r.hist = h
			r.percentiles()
		}
		out.Rows[i] = r
	}
	return out
}

// WriteEMF writes s to w as CloudWatch Embedded Metric Format lines, one JSON
// object per row, in namespace. Dimensions are [Service] for service rows,
// [Service, Version] for version rows and [Service, Instance] plus Version
// when set for instance rows. Pass s.Since(previous) to emit counts per
// interval rather than since start.
func WriteEMF(w io.Writer, s Snapshot, namespace string) error {
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	type directive struct {
		Namespace  string     `json:"Namespace"`
		Dimensions [][]string `json:"Dimensions"`
		Metrics    []metric   `json:"Metrics"`
	}
	metrics := []metric{
		{"Requests", "Count"}, {"Status2xx", "Count"}, {"Status4xx", "Count"}, {"Status5xx", "Count"},
		{"Errors", "Count"}, {"Retries", "Count"}, {"Ejections", "Count"}, {"Active", "Count"},
		{"LatencyP50", "Milliseconds"}, {"LatencyP95", "Milliseconds"}, {"LatencyP99", "Milliseconds"},
	}
	enc := json.NewEncoder(w)
	for _, r := range s.Rows {
		dims := []string{"Service"}
		line := map[string]any{"Service": r.Service}
		switch {
		case r.Instance != "":
			if r.Version != "" {
				dims = append(dims, "Version")
			}
			dims = append(dims, "Instance")
			line["Instance"] = r.Instance
		case r.Version != "":
			dims = append(dims, "Version")
		}
		if r.Version != "" {
			line["Version"] = r.Version
		}
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		line["Requests"], line["Status2xx"], line["Status4xx"], line["Status5xx"] = r.Requests, r.Status2xx, r.Status4xx, r.Status5xx
		line["Errors"], line["Retries"], line["Ejections"], line["Active"] = r.Errors, r.Retries, r.Ejections, r.Active
		line["LatencyP50"], line["LatencyP95"], line["LatencyP99"] = ms(r.P50), ms(r.P95), ms(r.P99)
		line["_aws"] = map[string]any{
			"Timestamp":         s.Time.UnixMilli(),
			"CloudWatchMetrics": []directive{{Namespace: namespace, Dimensions: [][]string{dims}, Metrics: metrics}},
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("mesh: write EMF: %w", err)
		}
	}
	return nil
}
