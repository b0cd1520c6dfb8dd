package vanguard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"testing"

	"connectrpc.com/vanguard"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/transcode"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// The comparison: the same 1 KB JSON payload (pkg/transcode/testdata/
// payload-1k.json) POSTed to /v1/echo, the same descriptor set
// (pkg/transcode/testdata/test.binpb: portico.transcode.test.v1.TestService,
// whose Echo method is annotated post: "/v1/echo", body: "*"), the same
// backend: a gRPC server that echoes the request's bytes without decoding
// them, so that its own work is next to nothing.
//
//   - portico: a pkg/transcode Transcoder, configured to answer as vanguard
//     does (EmitUnpopulated, unknown fields ignored), calling the backend
//     through the mesh client (mesh.Call), as the gateway wires it.
//   - vanguard: connectrpc.com/vanguard v0.4.0, REST in and gRPC out, in
//     front of net/http/httputil.ReverseProxy, which sends the gRPC request
//     to the backend over HTTP/2 without TLS (h2c), as the standard library
//     does with Protocols.SetUnencryptedHTTP2.
//
// BenchmarkEndToEnd reaches the backend over loopback TCP; BenchmarkInMemory
// over an in-memory connection (bufconn), each side with its own HTTP/2
// client, so that only the translation and the gRPC/HTTP/2 framing remain.
// The two sides run one after the other, portico first; -reverse runs
// vanguard first. A round is one run of the test binary with -test.count 1
// (doc.go). TestSameAnswers checks both answer the same
// JSON.

var reverse = flag.Bool("reverse", false, "run vanguard before portico in each round")

const (
	service = "portico.transcode.test.v1.TestService"
	setPath = "../../pkg/transcode/testdata/test.binpb"
	payPath = "../../pkg/transcode/testdata/payload-1k.json"
)

// rawCodec passes message bytes through undecoded.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append((*v.(*[]byte))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

// echoServer is the backend: every method answers with its request's bytes.
func echoServer() *grpc.Server {
	return grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, s grpc.ServerStream) error {
		var msg []byte
		if err := s.RecvMsg(&msg); err != nil {
			return err
		}
		return s.SendMsg(&msg)
	}))
}

// backend serves echoServer on a listener; dial reaches it.
type backend struct {
	addr string
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func tcpBackend(tb testing.TB) backend {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := echoServer()
	go srv.Serve(ln)
	tb.Cleanup(srv.Stop)
	return backend{addr: ln.Addr().String(), dial: (&net.Dialer{}).DialContext}
}

func memBackend(tb testing.TB) backend {
	ln := bufconn.Listen(1 << 20)
	srv := echoServer()
	go srv.Serve(ln)
	tb.Cleanup(srv.Stop)
	return backend{addr: "bufconn:1", dial: func(ctx context.Context, _, _ string) (net.Conn, error) { return ln.DialContext(ctx) }}
}

// staticDiscoverer serves the one backend for every service.
type staticDiscoverer struct{ addr string }

func (d staticDiscoverer) Discover(context.Context, string) ([]mesh.Instance, error) {
	host, port, err := net.SplitHostPort(d.addr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	return []mesh.Instance{{ID: "echo-1", Address: host, Port: p}}, nil
}

func readFile(tb testing.TB, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// translator answers one POST /v1/echo with a JSON body.
type translator func(ctx context.Context, body []byte) (int, []byte)

func porticoTranslator(tb testing.TB, be backend) translator {
	d, err := transcode.Load(readFile(tb, setPath))
	if err != nil {
		tb.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(be.addr)
	if host == "bufconn" {
		be.addr = "127.0.0.1:" + port // the mesh wants an address; the dialler ignores it
	}
	m, err := mesh.New(mesh.Config{Discoverer: staticDiscoverer{be.addr}})
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := transcode.New(transcode.Config{
		Service: "echo-service", Descriptors: d, Caller: m, EmitUnpopulated: true,
		Routes:      []transcode.Route{{Method: "POST", Path: "/v1/echo", RPC: service + "/Echo", Body: "*", AllowUnknownFields: true}},
		DialOptions: []grpc.DialOption{grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return be.dial(ctx, "tcp", addr) })},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tr.Close() })
	header := http.Header{"Content-Type": {"application/json"}}
	return func(ctx context.Context, body []byte) (int, []byte) {
		status, _, out := tr.Transcode(ctx, &transcode.Request{Method: "POST", Path: "/v1/echo", Header: header, Body: body})
		return status, out
	}
}

func vanguardTranslator(tb testing.TB, be backend) translator {
	var fds descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(readFile(tb, setPath), &fds); err != nil {
		tb.Fatal(err)
	}
	files, err := protodesc.NewFiles(&fds)
	if err != nil {
		tb.Fatal(err)
	}
	desc, err := files.FindDescriptorByName(service)
	if err != nil {
		tb.Fatal(err)
	}
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	target := &url.URL{Scheme: "http", Host: be.addr}
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: &http.Transport{Protocols: protocols, DialContext: be.dial, MaxIdleConnsPerHost: 100},
	}
	types := dynamicpb.NewTypes(files)
	svc := vanguard.NewServiceWithSchema(desc.(protoreflect.ServiceDescriptor), proxy,
		vanguard.WithTargetProtocols(vanguard.ProtocolGRPC), vanguard.WithTargetCodecs(vanguard.CodecProto),
		vanguard.WithTypeResolver(typeResolver{types}))
	h, err := vanguard.NewTranscoder([]*vanguard.Service{svc})
	if err != nil {
		tb.Fatal(err)
	}
	return func(ctx context.Context, body []byte) (int, []byte) {
		req := httptest.NewRequestWithContext(ctx, "POST", "http://gateway/v1/echo", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out, _ := io.ReadAll(rec.Result().Body)
		return rec.Code, out
	}
}

// typeResolver resolves the set's types, then the program's.
type typeResolver struct{ local *dynamicpb.Types }

func (r typeResolver) FindMessageByName(n protoreflect.FullName) (protoreflect.MessageType, error) {
	if mt, err := r.local.FindMessageByName(n); err == nil {
		return mt, nil
	}
	return protoregistry.GlobalTypes.FindMessageByName(n)
}

func (r typeResolver) FindMessageByURL(u string) (protoreflect.MessageType, error) {
	if mt, err := r.local.FindMessageByURL(u); err == nil {
		return mt, nil
	}
	return protoregistry.GlobalTypes.FindMessageByURL(u)
}

func (r typeResolver) FindExtensionByName(n protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByName(n); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByName(n)
}

func (r typeResolver) FindExtensionByNumber(m protoreflect.FullName, f protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByNumber(m, f); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByNumber(m, f)
}

var _ vanguard.TypeResolver = typeResolver{}

// TestSameAnswers: for the payload, both answer 200 with the same JSON,
// compared as values and, once protojson's random whitespace is compacted
// away, byte for byte.
func TestSameAnswers(t *testing.T) {
	body := bytes.TrimSpace(readFile(t, payPath))
	for name, newBackend := range map[string]func(testing.TB) backend{"tcp": tcpBackend, "in-memory": memBackend} {
		t.Run(name, func(t *testing.T) {
			be := newBackend(t)
			ps, pb := porticoTranslator(t, be)(context.Background(), body)
			vs, vb := vanguardTranslator(t, be)(context.Background(), body)
			if ps != 200 || vs != 200 {
				t.Fatalf("got portico %d %s, vanguard %d %s, want 200 from both", ps, pb, vs, vb)
			}
			var pv, vv any
			if err := json.Unmarshal(pb, &pv); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(vb, &vv); err != nil {
				t.Fatal(err)
			}
			var pc, vc bytes.Buffer
			json.Compact(&pc, pb)
			json.Compact(&vc, vb)
			if !bytes.Equal(pc.Bytes(), vc.Bytes()) {
				t.Fatalf("got portico\n%s\nvanguard\n%s\nwant the same", pc.Bytes(), vc.Bytes())
			}
		})
	}
}

func BenchmarkEndToEnd(b *testing.B) { compare(b, tcpBackend) }

func BenchmarkInMemory(b *testing.B) { compare(b, memBackend) }

// compare runs both translators against one backend, in one round.
func compare(b *testing.B, newBackend func(testing.TB) backend) {
	body := bytes.TrimSpace(readFile(b, payPath))
	be := newBackend(b)
	sides := []struct {
		name string
		t    translator
	}{{"side=portico", porticoTranslator(b, be)}, {"side=vanguard", vanguardTranslator(b, be)}}
	if *reverse {
		sides[0], sides[1] = sides[1], sides[0]
	}
	for _, s := range sides {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if status, out := s.t(ctx, body); status != 200 || len(out) < len(body)/2 {
					b.Fatalf("got %d %s, want 200 with the payload", status, out)
				}
			}
		})
	}
}
