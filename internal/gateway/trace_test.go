package gateway

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/pkg/trace"
)

// segments is a hand-written trace.Sender that keeps what it is sent.
type segments struct {
	mu   sync.Mutex
	segs []trace.Segment
}

func (s *segments) Send(seg *trace.Segment) error {
	s.mu.Lock()
	s.segs = append(s.segs, *seg)
	s.mu.Unlock()
	return nil
}

// With an OpenTelemetry tracer (W3C propagation) the gateway's segment
// continues a client's traceparent when it sent no X-Amzn-Trace-Id; with an
// X-Ray one, a traceparent alone starts a new trace.
func TestTraceContinuesClientTraceparent(t *testing.T) {
	const tp = "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"
	for _, w3c := range []bool{true, false} {
		sent := &segments{}
		tr, err := trace.New(trace.Config{Service: "gw", Sender: sent, W3C: w3c})
		if err != nil {
			t.Fatal(err)
		}
		h, err := New(Config{Configuration: config.Fixed(testTable(t), nil), Transport: services{"user-service": echo("user-service")},
			Tracer: tr, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", map[string][]string{"Traceparent": {tp}}))
		if resp.StatusCode != 200 || len(sent.segs) != 1 {
			t.Fatalf("W3C %v: got %d and %d segments, want 200 and one", w3c, resp.StatusCode, len(sent.segs))
		}
		seg := sent.segs[0]
		continued := seg.TraceID == "1-5759e988-bd862e3fe1be46a994272793" && seg.ParentID == "53995c3f42cd8ad8"
		if continued != w3c {
			t.Errorf("W3C %v: got trace %s parent %s; continued=%v, want %v", w3c, seg.TraceID, seg.ParentID, continued, w3c)
		}
	}
}
