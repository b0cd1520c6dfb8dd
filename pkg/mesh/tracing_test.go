package mesh

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/portico-gw/portico/pkg/trace"
)

type segments struct {
	mu   sync.Mutex
	list []trace.Segment
}

func (s *segments) Send(seg *trace.Segment) error {
	s.mu.Lock()
	s.list = append(s.list, *seg)
	s.mu.Unlock()
	return nil
}

var _ Tracer = (*trace.Tracer)(nil)

// With a Tracer, a call is one subsegment (not one per attempt) annotated
// with the service and the last attempt's version, instance and retries, and
// every attempt carries a header that makes the instance's segment its child.
func TestClientTracing(t *testing.T) {
	sent := &segments{}
	tracer := func(service string) *trace.Tracer {
		tr, err := trace.New(trace.Config{Service: service, Sender: sent})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	payment := tracer("payment")
	failing := httptest.NewServer(payment.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})))
	defer failing.Close()
	ok := httptest.NewServer(payment.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer ok.Close()
	a, b := instance(t, failing, "a"), instance(t, ok, "b")
	a.Attributes, b.Attributes = map[string]string{"version": "v1"}, map[string]string{"version": "v2"}
	order := tracer("order")
	c := newClient(t, Config{Discoverer: static(a, b), Tracer: order, Policy: Policy{LoadBalancer: RoundRobin}})

	ctx, seg := order.StartSegment(context.Background(), "order", trace.Header{}, true)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://payment/charge", nil)
	resp, err := c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	seg.End()
	if req.Header.Get(trace.HeaderName) != "" {
		t.Fatal("got a trace header on the caller's request, want it left unchanged")
	}

	var subs, servers []trace.Segment
	for _, s := range sent.list {
		switch {
		case s.Type == "subsegment":
			subs = append(subs, s)
		case s.Name == "payment":
			servers = append(servers, s)
		}
	}
	if len(subs) != 1 || len(servers) != 2 {
		t.Fatalf("got %d subsegments and %d payment segments, want 1 and 2 (two attempts)", len(subs), len(servers))
	}
	sub := subs[0]
	if sub.TraceID != seg.TraceID() || sub.Name != "payment" || sub.HTTP.Response.Status != 200 {
		t.Errorf("got subsegment %+v, want payment in trace %s with status 200", sub, seg.TraceID())
	}
	want := map[string]any{"service": "payment", "version": "v2", "instance": "b", "retries": 1}
	for k, v := range want {
		if sub.Annotations[k] != v {
			t.Errorf("annotation %s: got %v, want %v", k, sub.Annotations[k], v)
		}
	}
	for _, s := range servers {
		if s.TraceID != sub.TraceID || s.ParentID != sub.ID {
			t.Errorf("got payment segment in trace %s under %s, want trace %s under %s", s.TraceID, s.ParentID, sub.TraceID, sub.ID)
		}
	}
}

// Call (gRPC and other protocols) is one subsegment too, and its try's
// context carries it for Inject.
func TestCallTracing(t *testing.T) {
	sent := &segments{}
	tr, err := trace.New(trace.Config{Service: "gateway", Sender: sent})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	c := newClient(t, Config{Discoverer: static(instance(t, srv, "a")), Tracer: tr})
	ctx, seg := tr.StartSegment(context.Background(), "gateway", trace.Header{}, true)
	var injected string
	err = c.Call(ctx, "payments", true, func(ctx context.Context, inst Instance) Attempt {
		h := http.Header{}
		c.Inject(ctx, h)
		injected = h.Get(trace.HeaderName)
		return Attempt{Status: 200}
	})
	seg.End()
	if err != nil {
		t.Fatal(err)
	}
	var sub *trace.Segment
	for i, s := range sent.list {
		if s.Type == "subsegment" {
			sub = &sent.list[i]
		}
	}
	if sub == nil || sub.Name != "payments" || sub.TraceID != seg.TraceID() || sub.Annotations["instance"] != "a" {
		t.Fatalf("got subsegment %+v, want one for payments in the gateway's trace, on instance a", sub)
	}
	if h, err := trace.ParseHeader(injected); err != nil || h.Parent != sub.ID {
		t.Fatalf("got injected header %q, want one whose parent is the call's subsegment %s", injected, sub.ID)
	}
}
