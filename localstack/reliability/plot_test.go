package reliability

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

// The soak's plot is well-formed SVG with a polyline per series and a
// legend entry per series, and skips minutes without a value.
func TestPlot(t *testing.T) {
	s := Soak{Duration: 3 * time.Minute, Minutes: []SoakMinute{
		{Requests: 10, P50: 50 * time.Millisecond, P95: 90 * time.Millisecond, P99: 120 * time.Millisecond, Goroutines: map[string]int{"a": 20}, RSS: map[string]int64{"a": 30 << 20}},
		{Requests: 10, Unhealthy: 1, P50: 55 * time.Millisecond, P95: 95 * time.Millisecond, P99: 130 * time.Millisecond, Goroutines: map[string]int{"a": 21}, RSS: map[string]int64{"a": 31 << 20}},
		{Requests: 0},
	}}
	var b bytes.Buffer
	if err := Plot(&b, "soak", len(s.Minutes), soakPanels(s)); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("got malformed SVG: %v", err)
		}
	}
	// p50, p95, p99, the unhealthy share, instance a's goroutines and RSS.
	if got := strings.Count(svg, "<polyline"); got != 6 {
		t.Fatalf("got %d polylines, want 6", got)
	}
	if got := strings.Count(svg, ">instance a<"); got != 2 {
		t.Fatalf("got %d legend entries for instance a, want 2 (goroutines, memory)", got)
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{{0, 1}, {0.7, 1}, {1.2, 2}, {3, 5}, {7, 10}, {120, 200}} {
		if got := niceCeil(tt.in); got != tt.want {
			t.Errorf("niceCeil(%g): got %g, want %g", tt.in, got, tt.want)
		}
	}
}
