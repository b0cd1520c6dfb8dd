package sim

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// The criteria a limit's shards and lease must meet to be the documented
// default (see Choose).
const (
	// MaxOverAdmission and MaxUnderAdmission bound what the limit admits
	// beyond, and refuses below, its rate, as shares of the limit.
	MaxOverAdmission  = 0.01
	MaxUnderAdmission = 0.01
	// Headroom is the share of a partition key's write capacity the busiest
	// counter may ask for with twice the planned instances: DynamoDB's
	// per-partition limit is hard, and writes are bursty.
	Headroom = 0.75
	// MaxUnderAdmissionDoubled bounds under-admission with twice the
	// planned instances: a shape that holds only for one fleet size (a
	// lease of exactly the limit over the instances) must not be chosen.
	MaxUnderAdmissionDoubled = 0.10
)

// Shape is a limit's sharding and leasing.
type Shape struct {
	Shards int
	Lease  int64
}

func (s Shape) String() string {
	if s.Shards == 1 {
		return fmt.Sprintf("1 shard, lease %d", s.Lease)
	}
	return fmt.Sprintf("%d shards, lease %d", s.Shards, s.Lease)
}

func shapeOf(r LimitsResult) Shape {
	return Shape{Shards: max(r.Scenario.Rule.Shards, 1), Lease: max(r.Scenario.Rule.Lease, 1)}
}

// Holds reports whether r meets the admission criteria with no throttled
// write.
func Holds(r LimitsResult) bool {
	return r.DB.Throttled == 0 && r.Late == 0 && r.OverAdmission() <= MaxOverAdmission && r.UnderAdmission() <= MaxUnderAdmission
}

// Choose returns the shape of least write cost, measured in the grid, among
// those for which every planned run holds (Holds) and every doubled run
// (twice the instances) has no throttled write, keeps the busiest counter
// within Headroom of capacity and under-admits at most
// MaxUnderAdmissionDoubled. Ties go to fewer shards.
func Choose(grid, planned, doubled []LimitsResult, capacity int64) (Shape, bool) {
	ok := map[Shape]bool{}
	for _, r := range grid {
		ok[shapeOf(r)] = Holds(r)
	}
	for _, r := range planned {
		ok[shapeOf(r)] = ok[shapeOf(r)] && Holds(r)
	}
	seen := map[Shape]bool{}
	for _, r := range doubled {
		sh := shapeOf(r)
		seen[sh] = true
		ok[sh] = ok[sh] && r.DB.Throttled == 0 && r.Late == 0 && r.OverAdmission() <= MaxOverAdmission &&
			r.UnderAdmission() <= MaxUnderAdmissionDoubled && float64(r.DB.PeakKeyDemand) <= Headroom*float64(capacity)
	}
	var best *LimitsResult
	for i, r := range grid {
		sh := shapeOf(r)
		if !ok[sh] || !seen[sh] {
			continue
		}
		if best == nil || r.WritesPer1000() < best.WritesPer1000() ||
			(r.WritesPer1000() == best.WritesPer1000() && sh.Shards < shapeOf(*best).Shards) {
			best = &grid[i]
		}
	}
	if best == nil {
		return Shape{}, false
	}
	return shapeOf(*best), true
}

// LimitsTable writes results as a Markdown table.
func LimitsTable(w io.Writer, rows []LimitsResult) {
	fmt.Fprintln(w, "| shards | lease | instances | offered/s | admitted/s (limit) | over-admission | under-admission | throttled writes | fail-open decisions | busiest counter, writes/s asked | writes per 1,000 requests | decision p99 | backlog |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		s := r.Scenario
		secs := float64(r.Windows) * s.Rule.Window.Seconds()
		fmt.Fprintf(w, "| %d | %d | %d | %s | %s (%s) | %s | %s | %s | %s | %s | %.1f | %s | %s |\n",
			max(s.Rule.Shards, 1), max(s.Rule.Lease, 1), s.Instances, thousands(int64(s.Offered)),
			thousands(int64(float64(r.Admitted)/secs)), thousands(int64(float64(s.Rule.Requests)/s.Rule.Window.Seconds())),
			percent(r.OverAdmission()), percent(r.UnderAdmission()), thousands(r.DB.Throttled), thousands(r.Degraded),
			thousands(r.DB.PeakKeyDemand), r.WritesPer1000(), ms(r.DecisionP99), thousands(r.Late))
	}
}

// StampedeTable writes results as a Markdown table.
func StampedeTable(w io.Writer, rows []StampedeResult) {
	fmt.Fprintln(w, "| discovery | instances | Cloud Map calls | throttled | peak calls/s | refresh peak calls/s | seconds with throttling | service calls failed | all instances ready after | state table reads, writes |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %d | %s of %s | %s | %s, %s |\n",
			r.Scenario.Variant, thousands(int64(r.Scenario.Instances)), thousands(r.CloudMap.Calls), thousands(r.CloudMap.Throttled),
			thousands(r.CloudMap.PeakCallsPerSecond), thousands(r.RefreshPeak), r.CloudMap.ThrottledSeconds,
			thousands(r.Failed), thousands(r.Requests), r.Ready.Round(10*time.Millisecond), thousands(r.DB.Reads), thousands(r.DB.Writes))
	}
}

// SortLimits orders results by shards, lease, instances and offered load.
func SortLimits(rows []LimitsResult) {
	slices.SortStableFunc(rows, func(a, b LimitsResult) int {
		sa, sb := shapeOf(a), shapeOf(b)
		switch {
		case sa.Shards != sb.Shards:
			return sa.Shards - sb.Shards
		case sa.Lease != sb.Lease:
			return int(sa.Lease - sb.Lease)
		case a.Scenario.Instances != b.Scenario.Instances:
			return a.Scenario.Instances - b.Scenario.Instances
		}
		return int(a.Scenario.Offered - b.Scenario.Offered)
	})
}

func percent(f float64) string { return fmt.Sprintf("%.2f %%", 100*f) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// thousands formats n with commas.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
