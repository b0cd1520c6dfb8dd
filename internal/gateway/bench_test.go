package gateway

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/portico-gw/portico/internal/config"
	"github.com/portico-gw/portico/internal/logging"
	"github.com/portico-gw/portico/pkg/mesh"
)

// The benchmarks of the request path (see BENCHMARKS.md):
//
//	go test -run '^$' -bench . -benchmem -count 10 ./internal/gateway/ ./internal/route/
//
// BenchmarkGateway1 and BenchmarkGateway3 measure the in-process overhead of
// a request (identity, path cleaning, route lookup, header hygiene and
// enrichment, fan-out, merge, access log and EMF line, both to io.Discard)
// with in-process backends that answer a fixed small JSON, as Lura's
// BenchmarkProxyStack_single and _multi do. The Loopback pair sends the same
// request over loopback to one real HTTP backend: through the aggregator's
// path (mesh client included) and through net/http/httputil.ReverseProxy.

var benchBody = []byte(`{"id":"123","name":"Demo User","email":"demo@example.com"}`)

// fixedBackend answers every request with benchBody, in process.
type fixedBackend struct{}

func (fixedBackend) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(bytes.NewReader(benchBody)),
		Request: r, ContentLength: int64(len(benchBody)),
	}, nil
}

func benchEvent(path string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		HTTPMethod: "GET",
		Path:       path,
		MultiValueHeaders: map[string][]string{
			"Accept":          {"application/json"},
			"Accept-Encoding": {"gzip, deflate, br"},
			"Accept-Language": {"en-GB,en;q=0.9"},
			"Authorization":   {"Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig"},
			"Host":            {"api.example.com"},
			"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64)"},
			"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"},
			"X-Forwarded-For": {"203.0.113.7"},
		},
		MultiValueQueryStringParameters: map[string][]string{"expand": {"orders"}},
		RequestContext: events.APIGatewayProxyRequestContext{
			Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7"},
			Authorizer: map[string]any{
				"userId": "user-123", "roles": "admin,reader", "exp": float64(time.Now().Add(time.Hour).Unix()),
			},
		},
	}
}

// benchHandler is wired as the aggregator wires it (internal/aggregator),
// its logs, access lines and metric lines written to io.Discard.
func benchHandler(b *testing.B, transport http.RoundTripper) *Handler {
	h, err := New(Config{
		Configuration: config.Fixed(testTable(b), nil),
		Transport:     transport,
		Logger:        logging.New(io.Discard, slog.LevelInfo).With("function", "aggregator"),
		AccessLog:     logging.NewLines(io.Discard, "function", "aggregator"),
		Metrics:       io.Discard,
	})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func runHandler(b *testing.B, h *Handler, ev events.APIGatewayProxyRequest) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, _ := h.Handle(ctx, ev)
		if resp.StatusCode != 200 {
			b.Fatalf("got %d %s", resp.StatusCode, resp.Body)
		}
	}
}

// BenchmarkGateway1: one backend (target ≤ 10 µs).
func BenchmarkGateway1(b *testing.B) {
	runHandler(b, benchHandler(b, fixedBackend{}), benchEvent("/api/v1/users/123"))
}

// BenchmarkGateway3: three backends in parallel, merged (target ≤ 44 µs).
func BenchmarkGateway3(b *testing.B) {
	runHandler(b, benchHandler(b, fixedBackend{}), benchEvent("/user-dashboard"))
}

// loopbackBackend is a real HTTP server on loopback answering benchBody.
func loopbackBackend(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(benchBody)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func loopbackTransport() *http.Transport {
	return &http.Transport{MaxIdleConnsPerHost: 100, IdleConnTimeout: 90 * time.Second}
}

// BenchmarkLoopbackAggregator: the aggregator's proxy path (event in, route,
// hygiene, mesh client, response out) to a loopback backend.
//
// Two sub-benchmarks: "default" keeps the mesh's default pool policy, which
// retires a connection after 10 requests (a new TCP connection every tenth
// request); "keepalive" lifts that limit, so that it reuses its connection as
// the ReverseProxy baseline does.
func BenchmarkLoopbackAggregator(b *testing.B) {
	for _, tt := range []struct {
		name string
		pool mesh.Pool
	}{
		{"default", mesh.Pool{}},
		{"keepalive", mesh.Pool{MaxRequestsPerConnection: 1 << 30}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			srv := loopbackBackend(b)
			client, err := mesh.New(mesh.Config{
				Discoverer: staticDiscoverer{srv.Listener.Addr().(*net.TCPAddr)},
				Transport:  loopbackTransport(),
				Policy:     mesh.Policy{Pool: tt.pool},
			})
			if err != nil {
				b.Fatal(err)
			}
			runHandler(b, benchHandler(b, client), benchEvent("/api/v1/users/123"))
		})
	}
}

// BenchmarkLoopbackReverseProxy: httputil.ReverseProxy with Rewrite (strip
// the prefix, set X-Forwarded-*) to the same loopback backend.
func BenchmarkLoopbackReverseProxy(b *testing.B) {
	srv := loopbackBackend(b)
	target, _ := url.Parse(srv.URL)
	rp := &httputil.ReverseProxy{
		Transport: loopbackTransport(),
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = pr.In.URL.Path[len("/api/v1"):]
			pr.SetXForwarded()
		},
	}
	ev := benchEvent("/api/v1/users/123")
	req := httptest.NewRequest("GET", "http://api.example.com/api/v1/users/123?expand=orders", nil)
	for k, vs := range ev.MultiValueHeaders {
		req.Header[k] = vs
	}
	req.RemoteAddr = "203.0.113.7:40000"
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("got %d", rec.Code)
		}
	}
}
