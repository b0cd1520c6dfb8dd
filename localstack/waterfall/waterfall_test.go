package waterfall

import (
	"bytes"
	"strings"
	"testing"

	"github.com/portico-gw/portico/pkg/trace"
)

func seg(id, parent, name, ns string, start, end float64, annotations map[string]any) trace.Segment {
	return trace.Segment{ID: id, ParentID: parent, Name: name, Namespace: ns, StartTime: start, EndTime: end, Annotations: annotations,
		HTTP: &trace.HTTP{Response: &trace.HTTPResponse{Status: 200}}}
}

// A gateway segment with two parallel calls and the services' own segments
// under them prints as a tree, calls in start order.
func TestRowsAndPrint(t *testing.T) {
	segs := []trace.Segment{
		seg("s2", "c2", "order-service", "", 100.012, 100.020, nil),
		seg("gw", "", "gateway", "", 100.000, 100.030, nil),
		seg("c2", "gw", "order-service", "remote", 100.010, 100.022, map[string]any{"instance": "order-1", "version": "v1"}),
		seg("c1", "gw", "user-service", "remote", 100.005, 100.015, map[string]any{"instance": "user-2", "version": "v2"}),
		seg("s1", "c1", "user-service", "", 100.006, 100.014, nil),
	}
	rows := Rows(segs)
	var got []string
	for _, r := range rows {
		got = append(got, strings.Repeat(">", r.Depth)+r.Name)
	}
	want := "gateway,>user-service,>>user-service,>order-service,>>order-service"
	if strings.Join(got, ",") != want {
		t.Fatalf("got %s, want %s", strings.Join(got, ","), want)
	}
	if rows[1].Instance != "user-2" || rows[1].Version != "v2" || !rows[1].Call || rows[0].Duration.Milliseconds() != 30 {
		t.Fatalf("got %+v and %+v, want the call's instance and version, and a 30 ms gateway", rows[0], rows[1])
	}
	var out bytes.Buffer
	Print(&out, "1-abc", rows)
	if !strings.Contains(out.String(), "→ call user-service") || !strings.Contains(out.String(), "user-2 (v2)") {
		t.Fatalf("got\n%s\nwant the calls with their instances", out.String())
	}
}
