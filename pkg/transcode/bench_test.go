package transcode_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/transcode"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
)

// The benchmarks compare, for the same 1 KB JSON payload (testdata/
// payload-1k.json) and through the same mesh client:
//
//   - BenchmarkTranscode: JSON → proto → gRPC call → proto → JSON, against
//     an in-process gRPC server that echoes the request bytes without
//     decoding them (so the backend's own work is next to nothing);
//   - BenchmarkHTTPProxy: the plain HTTP proxy path, the JSON bytes sent
//     through the mesh client to an in-process HTTP server that echoes them.
//
// The difference is the cost of translation and of gRPC framing over
// HTTP/1.1. BenchmarkTranslate (translate_test.go) measures translation
// alone, without any call.

func payload(b *testing.B) []byte {
	b.Helper()
	p, err := os.ReadFile("testdata/payload-1k.json")
	if err != nil {
		b.Fatal(err)
	}
	return bytes.TrimSpace(p)
}

// staticDiscoverer serves one instance per service.
type staticDiscoverer map[string]string

var _ mesh.Discoverer = staticDiscoverer{}

func (s staticDiscoverer) Discover(_ context.Context, service string) ([]mesh.Instance, error) {
	host, port, err := net.SplitHostPort(s[service])
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	return []mesh.Instance{{ID: service + "-1", Address: host, Port: p}}, nil
}

// rawCodec passes message bytes through undecoded: the benchmark backend's
// echo costs no protobuf work.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append((*v.(*[]byte))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

func rawEchoServer(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, s grpc.ServerStream) error {
		var msg []byte
		if err := s.RecvMsg(&msg); err != nil {
			return err
		}
		return s.SendMsg(&msg)
	}))
	go srv.Serve(ln)
	b.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func httpEchoServer(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// BenchmarkTranscode runs the call through the mesh client as the gateway
// wires it (mesh.Call: balancing, outlier accounting, per-try timeout) and,
// beside it, on the instance mesh.Pick names with no retry machinery.
func BenchmarkTranscode(b *testing.B) {
	body := payload(b)
	d := loadTestSet(b)
	m, err := mesh.New(mesh.Config{Discoverer: staticDiscoverer{"echo-service": rawEchoServer(b)}})
	if err != nil {
		b.Fatal(err)
	}
	routes := []transcode.Route{{Method: "POST", Path: "/v1/echo", RPC: svc + "/Echo", Body: "*"}}
	for _, bc := range []struct {
		name string
		cfg  transcode.Config
	}{
		{"mesh.Call", transcode.Config{Caller: m}},
		{"mesh.Pick", transcode.Config{Resolver: transcode.ResolverFunc(func(ctx context.Context, service string) (string, error) {
			inst, err := m.Pick(ctx, service)
			return inst.HostPort(), err
		})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := bc.cfg
			cfg.Service, cfg.Descriptors, cfg.Routes = "echo-service", d, routes
			tr, err := transcode.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { tr.Close() })
			header := http.Header{"Content-Type": {"application/json"}, "X-User-Id": {"u-1"}, "X-Request-Id": {"r-1"}}
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				status, _, out := tr.Transcode(ctx, &transcode.Request{Method: "POST", Path: "/v1/echo", Header: header, Body: body})
				if status != http.StatusOK || len(out) < len(body)/2 {
					b.Fatalf("got status %d (%s), want 200", status, out)
				}
			}
		})
	}
}

func BenchmarkHTTPProxy(b *testing.B) {
	body := payload(b)
	m, err := mesh.New(mesh.Config{Discoverer: staticDiscoverer{"echo-service": httpEchoServer(b)}})
	if err != nil {
		b.Fatal(err)
	}
	client := m.HTTPClient()
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, "POST", "http://echo-service/v1/echo", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-User-Id", "u-1")
		req.Header.Set("X-Request-Id", "r-1")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		out, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || len(out) != len(body) {
			b.Fatalf("got status %d (%d bytes, %v), want 200 with the payload", res.StatusCode, len(out), err)
		}
	}
}
