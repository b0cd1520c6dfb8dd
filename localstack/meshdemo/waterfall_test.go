package meshdemo

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/trace"
)

// chain builds the segments of gateway → order → payment → fraud → bank with
// a slow bank, as in the design chapter's example.
func chain() []trace.Segment {
	t0 := 1_700_000_000.0
	ms := func(n float64) float64 { return t0 + n/1000 }
	seg := func(name, id, parent string, start, end float64) trace.Segment {
		return trace.Segment{Name: name, ID: id, ParentID: parent, TraceID: "1-5759e988-bd862e3fe1be46a994272793", StartTime: ms(start), EndTime: ms(end),
			HTTP: &trace.HTTP{Response: &trace.HTTPResponse{Status: 200}}}
	}
	call := func(name, id, parent, instance string, start, end float64) trace.Segment {
		s := seg(name, id, parent, start, end)
		s.Type, s.Annotations = "subsegment", map[string]any{"instance": instance, "version": "v1"}
		return s
	}
	// Listed out of order, as UDP delivers them.
	return []trace.Segment{
		seg("bank", "b", "cb", 51, 151),
		seg("gateway", "g", "", 0, 200),
		call("order", "co", "g", "order-1", 0.5, 199.5),
		seg("order", "o", "co", 1, 199),
		call("payment", "cp", "o", "payment-v1-a", 20, 180),
		seg("payment", "p", "cp", 21, 179),
		call("fraud", "cf", "p", "fraud-1", 40, 160),
		seg("fraud", "f", "cf", 41, 159),
		call("bank", "cb", "f", "bank-1", 50, 155),
	}
}

func TestHops(t *testing.T) {
	hops, err := Hops(chain())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		service, instance string
		start, self       time.Duration
	}{
		{"order", "order-1", time.Millisecond, 38 * time.Millisecond},
		{"payment", "payment-v1-a", 21 * time.Millisecond, 38 * time.Millisecond},
		{"fraud", "fraud-1", 41 * time.Millisecond, 13 * time.Millisecond},
		{"bank", "bank-1", 51 * time.Millisecond, 100 * time.Millisecond},
	}
	if len(hops) != len(want) {
		t.Fatalf("got %d hops, want %d", len(hops), len(want))
	}
	for i, w := range want {
		h := hops[i]
		if h.Service != w.service || h.Instance != w.instance || h.Start.Round(time.Microsecond) != w.start || h.Self.Round(time.Microsecond) != w.self {
			t.Errorf("hop %d: got %s %s at %s, self %s; want %s %s at %s, self %s", i+1, h.Service, h.Instance, h.Start, h.Self, w.service, w.instance, w.start, w.self)
		}
	}
	var b strings.Builder
	Waterfall(&b, "1-5759e988-bd862e3fe1be46a994272793", hops)
	out := b.String()
	for _, line := range []string{"hop  service", "1    order    order-1", "4    bank     bank-1", "bottleneck: bank (100.0 ms of its own)"} {
		if !strings.Contains(out, line) {
			t.Errorf("waterfall lacks %q:\n%s", line, out)
		}
	}
	if _, err := Hops(chain()[2:3]); err == nil {
		t.Error("got nil error for segments without a root, want one")
	}
}
