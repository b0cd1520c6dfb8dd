package tracetest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

// A Collector stands where the X-Ray daemon would: a Tracer sends its
// segments to it over UDP, and a test or a demo reads them back by trace.
func Example() {
	col, err := tracetest.Listen("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer col.Close()
	sender, err := trace.DialUDP(col.Addr())
	if err != nil {
		log.Fatal(err)
	}
	tr, err := trace.New(trace.Config{Service: "order", Sender: sender})
	if err != nil {
		log.Fatal(err)
	}
	_, span := tr.StartSegment(context.Background(), "order", trace.Header{}, true)
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	segs, err := col.Wait(ctx, span.TraceID(), 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(segs[0].Name)
	// Output: order
}
