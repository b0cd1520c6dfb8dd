package trace

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestParseHeader(t *testing.T) {
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	tests := []struct {
		in      string
		want    Header
		wantErr bool
	}{
		{"Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1", Header{root, "53995c3f42cd8ad8", Sampled}, false},
		{"Root=" + root + ";Sampled=0", Header{root, "", NotSampled}, false},
		{"Root=" + root + ";Sampled=?", Header{root, "", SampleUnknown}, false},
		{" Self=1-67891234-12456789abcdef012345678 ; Root=" + root + "; Parent=53995c3f42cd8ad8 ;Lineage=a87bd80c:1", Header{root, "53995c3f42cd8ad8", SampleUnknown}, false},
		{"", Header{}, true},
		{"Parent=53995c3f42cd8ad8", Header{}, true},
		{"Root=1-5759e988-BD862E3FE1BE46A994272793", Header{}, true},
		{"Root=1-5759e98-bd862e3fe1be46a9942727930", Header{}, true},
		{"Root=" + root + ";Parent=xyz", Header{}, true},
		{"Root=" + root + "\r\nX-Injected: 1", Header{}, true},
	}
	for _, tt := range tests {
		got, err := ParseHeader(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseHeader(%q): got %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrHeader) {
			t.Errorf("ParseHeader(%q): got %v, want ErrHeader", tt.in, err)
		}
		if err == nil {
			again, err := ParseHeader(got.String())
			if err != nil || again != got {
				t.Errorf("round trip of %q through %q: got %+v, %v", tt.in, got.String(), again, err)
			}
		}
	}
}

func TestDaemonAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "127.0.0.1:2000"},
		{"169.254.79.129:2000", "169.254.79.129:2000"},
		{"tcp:169.254.79.129:2000 udp:169.254.79.129:2000", "169.254.79.129:2000"},
	}
	for _, tt := range tests {
		if got, err := DaemonAddress(tt.in); err != nil || got != tt.want {
			t.Errorf("DaemonAddress(%q): got %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"localhost", "tcp:1.2.3.4:2000"} {
		if _, err := DaemonAddress(bad); err == nil {
			t.Errorf("DaemonAddress(%q): got nil error, want one", bad)
		}
	}
}

// recordSender keeps what it is sent.
type recordSender struct {
	mu   sync.Mutex
	segs []Segment
}

func (r *recordSender) Send(s *Segment) error {
	r.mu.Lock()
	r.segs = append(r.segs, *s)
	r.mu.Unlock()
	return nil
}

// stepClock advances by step on every Now, so each span has a known length.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func newTracer(t *testing.T, service string) (*Tracer, *recordSender) {
	t.Helper()
	rec := &recordSender{}
	tr, err := New(Config{Service: service, Sender: rec, Clock: &stepClock{now: time.Unix(1_700_000_000, 0), step: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return tr, rec
}

func TestMiddleware(t *testing.T) {
	const parent = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"
	tests := []struct {
		name       string
		header     string
		status     int
		wantSent   bool
		wantRoot   string // "" means a new trace
		wantParent string
		wantFault  bool
		wantError  bool
	}{
		{"new trace", "", http.StatusOK, true, "", "", false, false},
		{"continued", parent + ";Sampled=1", http.StatusOK, true, "1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8", false, false},
		{"not sampled upstream", parent + ";Sampled=0", http.StatusOK, false, "1-5759e988-bd862e3fe1be46a994272793", "", false, false},
		{"malformed header: new trace", "Root=garbage", http.StatusOK, true, "", "", false, false},
		{"server error", parent, http.StatusServiceUnavailable, true, "1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8", true, false},
		{"client error", parent, http.StatusNotFound, true, "1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, rec := newTracer(t, "payment")
			var inHandler *Span
			h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inHandler = FromContext(r.Context())
				w.WriteHeader(tt.status)
			}))
			req := httptest.NewRequest(http.MethodPost, "http://payment/charge?x=1", nil)
			if tt.header != "" {
				req.Header.Set(HeaderName, tt.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if inHandler == nil {
				t.Fatal("got no span in the handler's context, want one")
			}
			resp, err := ParseHeader(w.Header().Get(HeaderName))
			if err != nil || resp.Root != inHandler.TraceID() {
				t.Fatalf("got response header %q, want Root=%s", w.Header().Get(HeaderName), inHandler.TraceID())
			}
			if !tt.wantSent {
				if len(rec.segs) != 0 {
					t.Fatalf("got %d segments sent, want none", len(rec.segs))
				}
				if resp.Sampled != NotSampled {
					t.Fatalf("got response sampling %v, want NotSampled", resp.Sampled)
				}
				return
			}
			if len(rec.segs) != 1 {
				t.Fatalf("got %d segments, want 1", len(rec.segs))
			}
			s := rec.segs[0]
			if tt.wantRoot != "" && s.TraceID != tt.wantRoot || tt.wantRoot == "" && (!validTraceID(s.TraceID) || s.TraceID == "1-5759e988-bd862e3fe1be46a994272793") {
				t.Errorf("got trace %q, want %q (or a new valid one)", s.TraceID, tt.wantRoot)
			}
			if s.ParentID != tt.wantParent || s.Name != "payment" || s.Type != "" {
				t.Errorf("got name %q, parent %q, type %q; want payment, %q, a segment", s.Name, s.ParentID, s.Type, tt.wantParent)
			}
			if s.Fault != tt.wantFault || s.Error != tt.wantError || s.HTTP.Response.Status != tt.status {
				t.Errorf("got fault %v, error %v, status %d; want %v, %v, %d", s.Fault, s.Error, s.HTTP.Response.Status, tt.wantFault, tt.wantError, tt.status)
			}
			if s.HTTP.Request.Method != http.MethodPost || s.HTTP.Request.URL != "http://payment/charge?x=1" {
				t.Errorf("got request %+v, want POST http://payment/charge?x=1", s.HTTP.Request)
			}
			if d := s.End().Sub(s.Start()); d <= 0 {
				t.Errorf("got duration %s, want a positive one", d)
			}
		})
	}
}

// A call is a remote subsegment of the caller's segment; its header makes
// the callee's segment its child.
func TestCallSubsegment(t *testing.T) {
	tr, rec := newTracer(t, "order")
	ctx, seg := tr.StartSegment(context.Background(), "order", Header{}, true)
	req := httptest.NewRequest(http.MethodGet, "http://payment/charge", nil)
	cctx := tr.StartCall(ctx, req, "payment")
	out := http.Header{}
	tr.Inject(cctx, out)
	h, err := ParseHeader(out.Get(HeaderName))
	if err != nil {
		t.Fatal(err)
	}
	tr.EndCall(cctx, 0, errors.New("connection refused"), map[string]any{"retries": 2})
	seg.End()
	if len(rec.segs) != 2 {
		t.Fatalf("got %d documents, want the subsegment and the segment", len(rec.segs))
	}
	sub, top := rec.segs[0], rec.segs[1]
	switch {
	case sub.Type != "subsegment" || sub.Namespace != "remote" || sub.Name != "payment":
		t.Errorf("got type %q, namespace %q, name %q; want subsegment, remote, payment", sub.Type, sub.Namespace, sub.Name)
	case sub.TraceID != top.TraceID || sub.ParentID != top.ID:
		t.Errorf("got subsegment trace %s parent %s, want trace %s parent %s", sub.TraceID, sub.ParentID, top.TraceID, top.ID)
	case h.Root != top.TraceID || h.Parent != sub.ID || h.Sampled != Sampled:
		t.Errorf("got propagated header %+v, want Root=%s Parent=%s Sampled=1", h, top.TraceID, sub.ID)
	case !sub.Fault || sub.Cause == nil || sub.Cause.Exceptions[0].Message != "connection refused" || sub.Annotations["retries"] != 2:
		t.Errorf("got fault %v, cause %+v, annotations %v; want a fault with the error and retries 2", sub.Fault, sub.Cause, sub.Annotations)
	case !sub.HTTP.Request.Traced || sub.HTTP.Request.URL != "http://payment/charge":
		t.Errorf("got request %+v, want traced http://payment/charge", sub.HTTP.Request)
	}
}

// In a Lambda function, subsegments hang under the segment Lambda started.
func TestContextWithHeader(t *testing.T) {
	tr, rec := newTracer(t, "aggregator")
	h := Header{Root: "1-5759e988-bd862e3fe1be46a994272793", Parent: "53995c3f42cd8ad8", Sampled: Sampled}
	ctx := ContextWithHeader(context.Background(), h)
	_, s := tr.StartSubsegment(ctx, "payment")
	s.End()
	if got := rec.segs[0]; got.TraceID != h.Root || got.ParentID != h.Parent || got.Type != "subsegment" {
		t.Fatalf("got %+v, want a subsegment of %+v", got, h)
	}
	// Without any parent: a new trace, as a segment.
	_, s = tr.StartSubsegment(context.Background(), "orphan")
	s.End()
	if got := rec.segs[1]; got.Type != "" || got.ParentID != "" || !validTraceID(got.TraceID) {
		t.Fatalf("got %+v, want a new segment", got)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("got nil error without a Sender, want one")
	}
}
