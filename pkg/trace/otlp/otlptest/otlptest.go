// Package otlptest is an OTLP/HTTP collector in memory for tests: it records
// the spans exported to it (JSON encoding) and lets a test wait for a
// trace's.
package otlptest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/portico-gw/portico/pkg/trace/otlp"
)

// Span is an exported span with its resource's service.name.
type Span struct {
	otlp.Span
	Service string
}

// Collector is an http.Handler that accepts OTLP/HTTP JSON exports on
// /v1/traces.
type Collector struct {
	mu      sync.Mutex
	spans   []Span
	changed chan struct{}
	// Fail, when set, is the status every export is answered with.
	Fail int
}

// New returns an empty Collector.
func New() *Collector { return &Collector{changed: make(chan struct{})} }

// ServeHTTP implements http.Handler.
func (c *Collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != otlp.TracesPath || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want POST /v1/traces with JSON", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	fail := c.Fail
	c.mu.Unlock()
	if fail != 0 {
		http.Error(w, "failing on purpose", fail)
		return
	}
	var req otlp.ExportRequest
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, kv := range rs.Resource.Attributes {
			if kv.Key == "service.name" && kv.Value.StringValue != nil {
				service = *kv.Value.StringValue
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				c.spans = append(c.spans, Span{Span: sp, Service: service})
			}
		}
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte("{}"))
}

// Spans returns the spans received so far.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Span(nil), c.spans...)
}

// Wait returns the spans of trace traceID (32 hex) once at least n arrived,
// or what arrived when ctx ends.
func (c *Collector) Wait(ctx context.Context, traceID string, n int) ([]Span, error) {
	for {
		c.mu.Lock()
		var got []Span
		for _, s := range c.spans {
			if s.TraceID == traceID {
				got = append(got, s)
			}
		}
		changed := c.changed
		c.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Attr returns the string form of a span attribute, "" when absent.
func (s Span) Attr(key string) string {
	for _, kv := range s.Attributes {
		if kv.Key != key {
			continue
		}
		switch v := kv.Value; {
		case v.StringValue != nil:
			return *v.StringValue
		case v.IntValue != nil:
			return *v.IntValue
		}
	}
	return ""
}
