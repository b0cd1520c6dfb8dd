package trace_test

import (
	"context"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

// Segments reach the daemon address as one datagram each: the daemon header
// line, then the segment's JSON.
func TestUDPSender(t *testing.T) {
	col, err := tracetest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer col.Close()
	udp, err := trace.DialUDP(col.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	start := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	want := trace.Segment{Name: "payment", ID: "53995c3f42cd8ad8", TraceID: "1-5759e988-bd862e3fe1be46a994272793", Annotations: map[string]any{"version": "v2"}}
	for i := range 3 {
		seg := want
		seg.StartTime = float64(start.UnixMicro())/1e6 + float64(i)
		seg.EndTime = seg.StartTime + 0.25
		if err := udp.Send(&seg); err != nil {
			t.Fatal(err)
		}
	}
	// The wait is bounded by the test's own deadline, not asserted on.
	got, err := col.Wait(context.Background(), want.TraceID, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, malformed := col.Segments()
	if len(malformed) != 0 {
		t.Fatalf("got malformed datagrams %q, want none", malformed)
	}
	if got[0].Name != "payment" || got[0].Annotations["version"] != "v2" || !got[0].Start().Equal(start) || got[0].End().Sub(got[0].Start()) != 250*time.Millisecond {
		t.Fatalf("got %+v, want payment with version v2 starting at %s for 250ms", got[0], start)
	}
}

// A segment sent while no daemon listens is lost, but it must not cost the
// next one: on Linux a connected UDP socket reports the ICMP "port
// unreachable" of one datagram as the error of the next send, which then is
// not sent. The demo lost one service's segment in each traced request that
// followed an untraced one this way.
func TestUDPSenderAfterTheDaemonWasAway(t *testing.T) {
	away, err := tracetest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := away.Addr()
	away.Close()
	udp, err := trace.DialUDP(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	lost := trace.Segment{Name: "lost", ID: "53995c3f42cd8ad8", TraceID: "1-5759e988-bd862e3fe1be46a994272793"}
	if err := udp.Send(&lost); err != nil {
		t.Fatalf("send with no daemon: got %v, want the datagram written (UDP cannot know)", err)
	}
	col, err := tracetest.Listen(addr)
	if err != nil {
		t.Fatalf("listen again on the daemon's port %s: %v", addr, err)
	}
	defer col.Close()
	want := trace.Segment{Name: "kept", ID: "63995c3f42cd8ad8", TraceID: "1-5759e988-cd862e3fe1be46a994272793"}
	if err := udp.Send(&want); err != nil {
		t.Fatalf("send once the daemon is back: %v", err)
	}
	got, err := col.Wait(context.Background(), want.TraceID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Name != "kept" {
		t.Fatalf("got %+v, want the segment sent once the daemon was back", got[0])
	}
}
