package otlp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/otlp"
	"github.com/portico-gw/portico/pkg/trace/otlp/otlptest"
)

func TestRequestMapsASegment(t *testing.T) {
	seg := &trace.Segment{
		Name: "user-service", ID: "53995c3f42cd8ad8", TraceID: "1-5759e988-bd862e3fe1be46a994272793", ParentID: "70de5b6f19ff9a0a",
		StartTime: 1478293361.271, EndTime: 1478293361.449, Namespace: "remote",
		HTTP:  &trace.HTTP{Request: &trace.HTTPRequest{Method: "GET", URL: "http://user-service/users/1"}, Response: &trace.HTTPResponse{Status: 503}},
		Fault: true, Cause: &trace.Cause{Exceptions: []trace.Exception{{ID: "1", Message: "no instance available"}}},
		Annotations: map[string]any{"version": "v2", "retries": 2, "canary": true, "weight": 0.05},
	}
	b, _ := json.Marshal(otlp.Request(seg, "portico-gateway"))
	want := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"portico-gateway"}}]},` +
		`"scopeSpans":[{"scope":{"name":"github.com/portico-gw/portico/pkg/trace"},"spans":[{"traceId":"5759e988bd862e3fe1be46a994272793",` +
		`"spanId":"53995c3f42cd8ad8","parentSpanId":"70de5b6f19ff9a0a","name":"user-service","kind":3,` +
		`"startTimeUnixNano":"1478293361271000000","endTimeUnixNano":"1478293361449000000","attributes":[` +
		`{"key":"peer.service","value":{"stringValue":"user-service"}},{"key":"http.request.method","value":{"stringValue":"GET"}},` +
		`{"key":"url.full","value":{"stringValue":"http://user-service/users/1"}},{"key":"http.response.status_code","value":{"intValue":"503"}},` +
		`{"key":"canary","value":{"boolValue":true}},{"key":"retries","value":{"intValue":"2"}},{"key":"version","value":{"stringValue":"v2"}},` +
		`{"key":"weight","value":{"doubleValue":0.05}}],"status":{"code":2,"message":"no instance available"}}]}]}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestSenderExports(t *testing.T) {
	col := otlptest.New()
	srv := httptest.NewServer(col)
	defer srv.Close()
	s, err := otlp.New(otlp.Config{Endpoint: srv.URL, Headers: map[string]string{"X-Tenant": "t"}})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trace.New(trace.Config{Service: "gw", Sender: s})
	if err != nil {
		t.Fatal(err)
	}
	ctx, seg := tr.StartSegment(context.Background(), "gw", trace.Header{}, true)
	_, sub := tr.StartSubsegment(ctx, "user-service")
	sub.End()
	seg.End()
	id, _ := trace.W3CTraceID(seg.TraceID())
	wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	spans, err := col.Wait(wctx, id, 2)
	if err != nil {
		t.Fatalf("got %d spans, want 2: %v", len(spans), err)
	}
	if spans[0].ParentSpanID != spans[1].SpanID || spans[1].ParentSpanID != "" || spans[1].Kind != otlp.KindServer {
		t.Fatalf("got %+v, want the subsegment's span a child of the segment's", spans)
	}
	col.Fail = http.StatusServiceUnavailable
	if err := s.Send(&trace.Segment{Name: "x", ID: "53995c3f42cd8ad8", TraceID: seg.TraceID()}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a failing collector: got %v, want an error naming 503", err)
	}
}

func TestSenderTimesOut(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	s, _ := otlp.New(otlp.Config{Endpoint: srv.URL, Timeout: 50 * time.Millisecond})
	start := time.Now()
	err := s.Send(&trace.Segment{Name: "x", ID: "53995c3f42cd8ad8", TraceID: "1-5759e988-bd862e3fe1be46a994272793"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("a hanging collector: got %v after %s, want a deadline error", err, time.Since(start))
	}
}

func TestConfigRefused(t *testing.T) {
	for _, c := range []otlp.Config{
		{Endpoint: "localhost:4318"},
		{Endpoint: "ftp://collector"},
		{TracesEndpoint: "http://user:pw@collector/v1/traces"},
		{Timeout: -1},
	} {
		if _, err := otlp.New(c); err == nil {
			t.Errorf("New(%+v): got no error", c)
		}
	}
	s, err := otlp.New(otlp.Config{TracesEndpoint: "https://collector.example/custom"})
	if err != nil || s.URL() != "https://collector.example/custom" {
		t.Errorf("traces endpoint: got %v, %v", s, err)
	}
	if s, _ := otlp.New(otlp.Config{}); s.URL() != "http://localhost:4318/v1/traces" {
		t.Errorf("default: got %s", s.URL())
	}
}
