//go:build e2e

package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/otlp"
	"github.com/portico-gw/portico/pkg/trace/otlp/otlptest"
)

type collectorServer struct {
	env  string // more aggregator environment, HCL map entries
	stop func()
}

// startCollector runs an OTLP/HTTP collector in this process on a loopback
// port and returns the aggregator environment that points it there
// (PORTICO_TRACING=otlp), when the functions run on this host.
func startCollector(backendHost string) (collectorServer, error) {
	if ip, err := netip.ParseAddr(backendHost); err != nil || !ip.IsLoopback() {
		return collectorServer{stop: func() {}}, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return collectorServer{}, err
	}
	stack.collector = otlptest.New()
	srv := &http.Server{Handler: stack.collector, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	env := fmt.Sprintf(`, PORTICO_TRACING="xray,otlp", OTEL_EXPORTER_OTLP_ENDPOINT="http://%s", OTEL_SERVICE_NAME="portico-e2e"`, ln.Addr())
	return collectorServer{env: env, stop: func() { srv.Close() }}, nil
}

// A client's X-Ray trace continues through the gateway: the collector gets
// the gateway's span and a client span for the call to user-service, with
// the trace ID in OpenTelemetry's form, and the backend gets the trace in
// both X-Amzn-Trace-Id and a W3C traceparent naming the same call.
func TestOpenTelemetryThroughTheStack(t *testing.T) {
	if stack.collector == nil {
		t.Skip("no OTLP collector the functions can reach (the functions do not run on this host)")
	}
	random := make([]byte, 12)
	rand.Read(random)
	root := fmt.Sprintf("1-%08x-%s", time.Now().Unix(), hex.EncodeToString(random))
	const clientParent = "53995c3f42cd8ad8"
	h := bearer(token(t, devtoken.Claims{Subject: "user-otel"}))
	h["X-Amzn-Trace-Id"] = "Root=" + root + ";Parent=" + clientParent + ";Sampled=1"
	a := call(t, "GET", "/api/v1/users/otel", h)
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	got := jsonBody[backend.Answer](t, a)
	xray, err := trace.ParseHeader(strings.Join(got.Headers["X-Amzn-Trace-Id"], ","))
	if err != nil || xray.Root != root {
		t.Fatalf("backend X-Amzn-Trace-Id: got %q (%v), want the client's root %s", got.Headers["X-Amzn-Trace-Id"], err, root)
	}
	want, _ := xray.Traceparent()
	if tp := got.Headers["Traceparent"]; len(tp) != 1 || tp[0] != want {
		t.Fatalf("backend traceparent: got %q, want [%s], the same trace and call as X-Amzn-Trace-Id", tp, want)
	}
	id, _ := trace.W3CTraceID(root)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	spans, err := stack.collector.Wait(ctx, id, 2)
	if err != nil {
		t.Fatalf("got %d spans of trace %s, want 2: %v", len(spans), id, err)
	}
	var server, client *otlptest.Span
	for i := range spans {
		switch spans[i].Kind {
		case otlp.KindServer:
			server = &spans[i]
		case otlp.KindClient:
			client = &spans[i]
		}
	}
	switch {
	case server == nil || client == nil:
		t.Fatalf("got %+v, want a server span and a client span", spans)
	case server.ParentSpanID != clientParent || server.Service != "portico-e2e" || server.Attr("http.response.status_code") != "200":
		t.Errorf("gateway span: got %+v, want a child of the client's %s, service portico-e2e, status 200", *server, clientParent)
	case client.ParentSpanID != server.SpanID || client.SpanID != xray.Parent || client.Attr("peer.service") != "user-service":
		t.Errorf("call span: got %+v, want the gateway's child %s, the parent the backend got, peer user-service", *client, xray.Parent)
	}
}
