// Package waterfall prints the segments of one X-Ray trace as a text
// waterfall: each segment and subsegment on a line, indented under its
// parent, with its start, duration and a bar on a common time scale. make
// demo prints one /user-dashboard request with it: the gateway, its call to
// each service, and each service's own segment.
package waterfall

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/pkg/trace"
)

// Row is one line of a waterfall.
type Row struct {
	// Depth is the number of ancestors in the trace.
	Depth int
	// Name is the segment's name: a service, or the callee of a call.
	Name string
	// Call says the row is a client call (a remote subsegment) rather than a
	// service's own segment.
	Call bool
	// Instance and Version are where a call went (its annotations).
	Instance, Version string
	// Status is the HTTP status of the segment's answer, 0 for none.
	Status int
	// Start is the offset from the trace's first segment; Duration its own.
	Start, Duration time.Duration
}

// Rows orders segs as a tree: every root (a segment whose parent is not
// among segs) with its descendants depth first, children by start time.
func Rows(segs []trace.Segment) []Row {
	if len(segs) == 0 {
		return nil
	}
	byParent := map[string][]trace.Segment{}
	ids := map[string]bool{}
	t0 := segs[0].Start()
	for _, s := range segs {
		ids[s.ID] = true
		if s.Start().Before(t0) {
			t0 = s.Start()
		}
	}
	var roots []trace.Segment
	for _, s := range segs {
		if s.ParentID == "" || !ids[s.ParentID] {
			roots = append(roots, s)
			continue
		}
		byParent[s.ParentID] = append(byParent[s.ParentID], s)
	}
	byStart := func(a, b trace.Segment) int { return a.Start().Compare(b.Start()) }
	slices.SortFunc(roots, byStart)
	var rows []Row
	var walk func(s trace.Segment, depth int)
	walk = func(s trace.Segment, depth int) {
		r := Row{Depth: depth, Name: s.Name, Call: s.Namespace == "remote", Start: s.Start().Sub(t0), Duration: s.End().Sub(s.Start())}
		r.Instance, _ = s.Annotations["instance"].(string)
		r.Version, _ = s.Annotations["version"].(string)
		if s.HTTP != nil && s.HTTP.Response != nil {
			r.Status = s.HTTP.Response.Status
		}
		rows = append(rows, r)
		kids := byParent[s.ID]
		slices.SortFunc(kids, byStart)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return rows
}

// Print writes rows as a waterfall of trace traceID.
func Print(w io.Writer, traceID string, rows []Row) {
	const width = 40
	var end time.Duration
	for _, r := range rows {
		end = max(end, r.Start+r.Duration)
	}
	scale := func(d time.Duration) int {
		if end <= 0 {
			return 0
		}
		return int(float64(d) / float64(end) * width)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(w, "trace %s\n", traceID)
	fmt.Fprintf(w, "%-34s %-22s %6s %9s %9s  %s\n", "segment", "instance", "status", "start", "duration", "timeline")
	for _, r := range rows {
		name := strings.Repeat("  ", r.Depth) + r.Name
		if r.Call {
			name = strings.Repeat("  ", r.Depth) + "→ call " + r.Name
		}
		inst := r.Instance
		if r.Version != "" {
			inst += " (" + r.Version + ")"
		}
		status := ""
		if r.Status > 0 {
			status = fmt.Sprint(r.Status)
		}
		off, n := scale(r.Start), max(1, scale(r.Duration))
		bar := strings.Repeat(" ", off) + strings.Repeat("█", min(n, width-off+1))
		fmt.Fprintf(w, "%-34s %-22s %6s %9s %9s  |%s\n", name, inst, status, ms(r.Start), ms(r.Duration), bar)
	}
}
