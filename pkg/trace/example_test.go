package trace_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/portico-gw/portico/pkg/trace"
)

func ExampleParseHeader() {
	h, err := trace.ParseHeader("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Root, h.Parent, h.Sampled == trace.Sampled)
	// Output: 1-5759e988-bd862e3fe1be46a994272793 53995c3f42cd8ad8 true
}

// printer prints the segments a Tracer sends; production code uses
// trace.DialUDP(address) to reach the X-Ray daemon.
type printer struct{}

func (printer) Send(s *trace.Segment) error {
	fmt.Printf("segment %s, trace %s, parent %s, status %d\n", s.Name, s.TraceID, s.ParentID, s.HTTP.Response.Status)
	return nil
}

// A Go service continues its caller's trace with Middleware.
func ExampleTracer_Middleware() {
	tracer, err := trace.New(trace.Config{Service: "payment", Sender: printer{}})
	if err != nil {
		panic(err)
	}
	handler := tracer.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Calls made with r.Context() (through the mesh client) become
		// subsegments of this request's segment.
		w.WriteHeader(http.StatusAccepted)
	}))
	req := httptest.NewRequest(http.MethodPost, "http://payment/charge", nil)
	req.Header.Set(trace.HeaderName, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	handler.ServeHTTP(httptest.NewRecorder(), req)
	// Output: segment payment, trace 1-5759e988-bd862e3fe1be46a994272793, parent 53995c3f42cd8ad8, status 202
}
