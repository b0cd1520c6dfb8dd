package trace

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestTraceparent(t *testing.T) {
	h := Header{Root: "1-5759e988-bd862e3fe1be46a994272793", Parent: "53995c3f42cd8ad8", Sampled: Sampled}
	tp, ok := h.Traceparent()
	if !ok || tp != "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01" {
		t.Fatalf("got %q, %v", tp, ok)
	}
	back, err := ParseTraceparent(tp)
	if err != nil || back != h {
		t.Fatalf("round trip: got %+v, %v; want %+v", back, err, h)
	}
	h.Sampled = NotSampled
	if tp, _ := h.Traceparent(); tp[53:] != "00" {
		t.Fatalf("not sampled: got %s", tp)
	}
	if _, ok := (Header{Root: h.Root}).Traceparent(); ok {
		t.Fatalf("no parent: got a traceparent")
	}
	tests := []struct {
		in      string
		ok      bool
		sampled Sampling
	}{
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", true, Sampled},
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0b", true, Sampled},
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0a", true, NotSampled},
		{"00-00000000000000000000000000000000-b7ad6b7169203331-01", false, 0},
		{"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false, 0},
		{"01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false, 0},
		{"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", false, 0},
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", false, 0},
	}
	for _, tt := range tests {
		got, err := ParseTraceparent(tt.in)
		if (err == nil) != tt.ok || tt.ok && got.Sampled != tt.sampled {
			t.Errorf("ParseTraceparent(%q): got %+v, %v; want ok=%v sampled=%v", tt.in, got, err, tt.ok, tt.sampled)
		}
	}
}

// With W3C on, a call carries traceparent beside X-Amzn-Trace-Id, for the
// same trace and parent; without it, only the X-Ray header.
func TestInjectW3C(t *testing.T) {
	for _, w3c := range []bool{false, true} {
		tr, _ := New(Config{Service: "gw", Sender: discard{}, W3C: w3c})
		ctx, _ := tr.StartSegment(context.Background(), "gw", Header{}, true)
		ctx = tr.StartCall(ctx, httptest.NewRequest("GET", "http://user-service/", nil), "user-service")
		h := http.Header{"Tracestate": {"vendor=stale"}}
		tr.Inject(ctx, h)
		xray, _ := ParseHeader(h.Get(HeaderName))
		want, _ := xray.Traceparent()
		if got := h.Get(TraceparentName); (got != "") != w3c || w3c && got != want {
			t.Errorf("W3C %v: got traceparent %q, want %q", w3c, got, want)
		}
		if w3c && h.Get("Tracestate") != "" {
			t.Errorf("W3C: got tracestate %q, want the caller's dropped", h.Get("Tracestate"))
		}
	}
}

// A server continues a caller's traceparent when it sent no X-Amzn-Trace-Id.
func TestMiddlewareContinuesTraceparent(t *testing.T) {
	col := &memorySender{}
	tr, _ := New(Config{Service: "svc", Sender: col, W3C: true})
	srv := tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set(TraceparentName, "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01")
	srv.ServeHTTP(httptest.NewRecorder(), r)
	if len(col.segs) != 1 || col.segs[0].TraceID != "1-5759e988-bd862e3fe1be46a994272793" || col.segs[0].ParentID != "53995c3f42cd8ad8" {
		t.Fatalf("got %+v, want the caller's trace and parent", col.segs)
	}
}

type discard struct{}

func (discard) Send(*Segment) error { return nil }

type memorySender struct{ segs []Segment }

func (m *memorySender) Send(s *Segment) error { m.segs = append(m.segs, *s); return nil }
