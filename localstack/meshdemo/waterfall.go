package meshdemo

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/portico-gw/portico/pkg/trace"
)

// Hop is one service's segment in a trace, with the call that reached it.
type Hop struct {
	// Service is the segment's name.
	Service string
	// Instance and Version come from the caller's call subsegment.
	Instance, Version string
	// Start is the offset from the trace's start; Duration the segment's.
	Start, Duration time.Duration
	// Self is Duration minus the time spent in the next hop's call.
	Self time.Duration
	// Status is the HTTP status the service answered.
	Status int
}

// Hops orders the segments of one trace as a chain of service segments
// (the root segment, such as the gateway's, excluded): each hop's parent is a
// call subsegment of the previous hop.
func Hops(segs []trace.Segment) ([]Hop, error) {
	byID := map[string]trace.Segment{}
	var root *trace.Segment
	for i, s := range segs {
		byID[s.ID] = s
		if s.ParentID == "" {
			root = &segs[i]
		}
	}
	if root == nil {
		return nil, fmt.Errorf("meshdemo: no root segment among %d", len(segs))
	}
	t0 := root.Start()
	var hops []Hop
	cur := *root
	for {
		// The call subsegment of cur, and the segment it reached.
		var call, next *trace.Segment
		for i, s := range segs {
			if s.Type == "subsegment" && s.ParentID == cur.ID {
				call = &segs[i]
			}
		}
		if call != nil {
			for i, s := range segs {
				if s.Type == "" && s.ParentID == call.ID {
					next = &segs[i]
				}
			}
		}
		if len(hops) > 0 {
			h := &hops[len(hops)-1]
			h.Self = h.Duration
			if call != nil {
				h.Self -= call.End().Sub(call.Start())
			}
		}
		if next == nil {
			break
		}
		h := Hop{Service: next.Name, Start: next.Start().Sub(t0), Duration: next.End().Sub(next.Start())}
		h.Instance, _ = call.Annotations["instance"].(string)
		h.Version, _ = call.Annotations["version"].(string)
		if next.HTTP != nil && next.HTTP.Response != nil {
			h.Status = next.HTTP.Response.Status
		}
		hops = append(hops, h)
		cur = *next
	}
	return hops, nil
}

// Waterfall prints hops as a text waterfall: hop, service, instance, start
// offset, duration, self time, and a bar on a common time scale; then the
// bottleneck (the largest self time).
func Waterfall(w io.Writer, traceID string, hops []Hop) {
	const width = 48
	var end time.Duration
	for _, h := range hops {
		end = max(end, h.Start+h.Duration)
	}
	scale := func(d time.Duration) int {
		if end <= 0 {
			return 0
		}
		return int(float64(d) / float64(end) * width)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(w, "trace %s\n", traceID)
	fmt.Fprintf(w, "%-4s %-8s %-13s %9s %9s %9s  %s\n", "hop", "service", "instance", "start", "duration", "self", "timeline")
	for i, h := range hops {
		off, n := scale(h.Start), max(1, scale(h.Duration))
		bar := strings.Repeat(" ", off) + strings.Repeat("█", min(n, width-off+1))
		fmt.Fprintf(w, "%-4d %-8s %-13s %9s %9s %9s  |%s\n", i+1, h.Service, h.Instance, ms(h.Start), ms(h.Duration), ms(h.Self), bar)
	}
	if len(hops) > 0 {
		b := hops[0]
		for _, h := range hops {
			if h.Self > b.Self {
				b = h
			}
		}
		fmt.Fprintf(w, "total %s; bottleneck: %s (%s of its own)\n", ms(hops[0].Duration), b.Service, ms(b.Self))
	}
}
