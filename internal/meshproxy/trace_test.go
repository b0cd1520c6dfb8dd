package meshproxy

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

// newTracer returns a tracer for service whose segments go to a collector.
func newTracer(t *testing.T, service string) (*trace.Tracer, *tracetest.Collector) {
	t.Helper()
	col, err := tracetest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { col.Close() })
	sender, err := trace.DialUDP(col.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	tr, err := trace.New(trace.Config{Service: service, Sender: sender})
	if err != nil {
		t.Fatal(err)
	}
	return tr, col
}

// Each call is a remote subsegment: of the caller's trace when it sends
// X-Amzn-Trace-Id, else of the Lambda invocation's, else of a new segment
// named after the local service; the instance gets the header that makes
// its segment the subsegment's child.
func TestOutboundTrace(t *testing.T) {
	const (
		callerRoot = "1-5759e988-bd862e3fe1be46a994272793"
		invokeRoot = "1-6b075433-3016085359956ecb860b1910"
	)
	tests := []struct {
		name       string
		header     string
		invocation string
		wantParent string // of the call subsegment; "segment": a new segment of the proxy's service
		wantRoot   string // "": a new trace
	}{
		{"caller's header", "Root=" + callerRoot + ";Parent=53995c3f42cd8ad8;Sampled=1", "Root=" + invokeRoot + ";Parent=aaaaaaaaaaaaaaaa;Sampled=1", "53995c3f42cd8ad8", callerRoot},
		{"invocation's header", "", "Root=" + invokeRoot + ";Parent=aaaaaaaaaaaaaaaa;Sampled=1", "aaaaaaaaaaaaaaaa", invokeRoot},
		{"malformed header, invocation's", "Root=nope", "Root=" + invokeRoot + ";Parent=aaaaaaaaaaaaaaaa;Sampled=1", "aaaaaaaaaaaaaaaa", invokeRoot},
		{"no trace: a segment of the local service", "", "", "segment", ""},
		{"root without parent: a segment in that trace", "Root=" + callerRoot + ";Sampled=1", "", "segment", callerRoot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracer, col := newTracer(t, "orders")
			d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", nil)}}}
			cfg := testConfig("")
			cfg.Service = "orders"
			deps := Dependencies{Mesh: newMesh(t, d, nil, tracer, nil), Tracer: tracer}
			if tt.invocation != "" {
				deps.Invocation = func() string { return tt.invocation }
			}
			base, _ := startProxy(t, cfg, deps)
			req, _ := http.NewRequest("GET", base+"/payment/x", nil)
			if tt.header != "" {
				req.Header.Set(trace.HeaderName, tt.header)
			}
			resp, b := do(t, &http.Client{}, req)
			var got echo
			if json.Unmarshal(b, &got) != nil || resp.StatusCode != 200 {
				t.Fatalf("got %d %s, want 200", resp.StatusCode, b)
			}
			sent, err := trace.ParseHeader(got.Header.Get(trace.HeaderName))
			if err != nil {
				t.Fatalf("instance got %q: %v", got.Header.Get(trace.HeaderName), err)
			}
			if tt.wantRoot != "" && sent.Root != tt.wantRoot {
				t.Fatalf("instance got trace %s, want %s", sent.Root, tt.wantRoot)
			}
			want := 1
			if tt.wantParent == "segment" {
				want = 2
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			segs, err := col.Wait(ctx, sent.Root, want)
			if err != nil {
				t.Fatal(err)
			}
			var call, seg *trace.Segment
			for i := range segs {
				if segs[i].Type == "subsegment" {
					call = &segs[i]
				} else {
					seg = &segs[i]
				}
			}
			if call == nil || call.Name != "payment" || call.Namespace != "remote" || call.ID != sent.Parent || call.Annotations["instance"] != "payment-1" {
				t.Fatalf("got call subsegment %+v, want payment's, the instance's parent, naming payment-1", call)
			}
			switch {
			case tt.wantParent != "segment" && call.ParentID != tt.wantParent:
				t.Fatalf("got the call's parent %s, want %s", call.ParentID, tt.wantParent)
			case tt.wantParent == "segment" && (seg == nil || seg.Name != "orders" || call.ParentID != seg.ID || seg.HTTP.Response.Status != 200):
				t.Fatalf("got segment %+v and call parent %s, want an orders segment (status 200) as the call's parent", seg, call.ParentID)
			}
		})
	}
}

// An unsampled caller's trace is propagated but nothing is sent.
func TestOutboundTraceNotSampled(t *testing.T) {
	tracer, col := newTracer(t, "orders")
	d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", nil)}}}
	base, _ := startProxy(t, testConfig(""), Dependencies{Mesh: newMesh(t, d, nil, tracer, nil), Tracer: tracer})
	call := func(header string) echo {
		req, _ := http.NewRequest("GET", base+"/payment/x", nil)
		req.Header.Set(trace.HeaderName, header)
		_, b := do(t, &http.Client{}, req)
		var got echo
		json.Unmarshal(b, &got)
		return got
	}
	unsampled := call("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
	if h, _ := trace.ParseHeader(unsampled.Header.Get(trace.HeaderName)); h.Sampled != trace.NotSampled || h.Root != "1-5759e988-bd862e3fe1be46a994272793" {
		t.Fatalf("instance got %q, want the caller's trace with Sampled=0", unsampled.Header.Get(trace.HeaderName))
	}
	// A sampled call after it: once its subsegment has arrived, the
	// unsampled one would have too, on the same socket.
	call("Root=1-6b075433-3016085359956ecb860b1910;Parent=53995c3f42cd8ad8;Sampled=1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := col.Wait(ctx, "1-6b075433-3016085359956ecb860b1910", 1); err != nil {
		t.Fatal(err)
	}
	segs, _ := col.Segments()
	for _, s := range segs {
		if s.TraceID == "1-5759e988-bd862e3fe1be46a994272793" {
			t.Fatalf("got segment %+v of the unsampled trace, want none", s)
		}
	}
}
