package otlp_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/otlp"
	"github.com/portico-gw/portico/pkg/trace/otlp/otlptest"
)

// A tracer whose segments go to an OpenTelemetry collector, with W3C
// propagation: the call's headers carry the same trace in both formats.
func Example() {
	collector := otlptest.New() // stands in for the ADOT collector on localhost:4318
	srv := httptest.NewServer(collector)
	defer srv.Close()

	sender, _ := otlp.New(otlp.Config{Endpoint: srv.URL, Service: "portico-gateway"})
	tracer, _ := trace.New(trace.Config{Service: "portico-gateway", Sender: sender, W3C: true})

	parent := trace.Header{Root: "1-5759e988-bd862e3fe1be46a994272793", Parent: "53995c3f42cd8ad8", Sampled: trace.Sampled}
	ctx, seg := tracer.StartSegment(context.Background(), "portico-gateway", parent, true)
	seg.End()

	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	spans, _ := collector.Wait(ctx2, "5759e988bd862e3fe1be46a994272793", 1)
	fmt.Println(spans[0].Service, spans[0].TraceID, spans[0].ParentSpanID)
	tp, _ := parent.Traceparent()
	fmt.Println(tp)
	// Output:
	// portico-gateway 5759e988bd862e3fe1be46a994272793 53995c3f42cd8ad8
	// 00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01
}
