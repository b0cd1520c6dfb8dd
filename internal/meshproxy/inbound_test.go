package meshproxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/trace"
)

// startInbound serves payment's inbound port in front of target (a
// loopback host:port), admitting allow, and returns its address.
func startInbound(t *testing.T, ca *mtls.CA, target string, allow []string, tracer *trace.Tracer) string {
	t.Helper()
	cfg := testConfig("127.0.0.1:9911")
	cfg.Service, cfg.TLSSecret = "payment", "portico/mesh/payment"
	cfg.InboundListen, cfg.InboundTarget, cfg.InboundAllow = "127.0.0.1:0", target, allow
	d := &discoverer{}
	s, err := New(cfg, Dependencies{Mesh: newMesh(t, d, nil, nil, nil), Credentials: credentials(t, ca, "payment"), Tracer: tracer})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Inbound(), TLSConfig: s.InboundTLS(), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// client returns an HTTPS client that presents service's certificate (none
// when ca is nil) and expects payment's.
func inboundClient(t *testing.T, ca *mtls.CA, service string) *http.Client {
	t.Helper()
	var cfg *tls.Config
	if service == "" {
		// No client certificate, but trust the server.
		cfg = credentials(t, ca, "orders").ClientConfig("payment").Clone()
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &tls.Certificate{}, nil }
	} else {
		cfg = credentials(t, ca, service).ClientConfig("payment")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, Proxy: nil}, Timeout: 5 * time.Second}
}

// The inbound port admits the allowed mesh members only, and passes their
// verified identity; a caller's own X-Portico-Caller, in any spelling,
// never reaches the service.
func TestInbound(t *testing.T) {
	ca := newCA(t)
	local := httptest.NewServer(echoHandler("payment-app"))
	defer local.Close()
	addr := startInbound(t, ca, strings.TrimPrefix(local.URL, "http://"), []string{"orders"}, nil)
	tests := []struct {
		name       string
		caller     string
		wantErr    bool
		wantCaller string
	}{
		{"allowed caller", "orders", false, "spiffe://portico/orders"},
		{"caller not allowed", "checkout", true, ""},
		{"no client certificate", "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "https://"+addr+"/charges/7?x=1", strings.NewReader(`{"amount":1}`))
			req.Header.Set(CallerHeader, "spiffe://portico/admin")
			req.Header["X_portico_caller"] = []string{"spiffe://portico/admin"}
			req.Header.Set("Connection", "X-Hop")
			req.Header.Set("X-Hop", "1")
			resp, err := inboundClient(t, ca, tt.caller).Do(req)
			if tt.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got %d, want the handshake refused", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got echo
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %d (%v), want 200 and the app's echo", resp.StatusCode, err)
			}
			if got.Method != "POST" || got.URI != "/charges/7?x=1" || got.Body != `{"amount":1}` {
				t.Fatalf("app got %s %s %q, want POST /charges/7?x=1 with the body", got.Method, got.URI, got.Body)
			}
			var callers []string
			for k, v := range got.Header {
				if foldName(k) == "x-portico-caller" {
					callers = append(callers, v...)
				}
			}
			if len(callers) != 1 || callers[0] != tt.wantCaller {
				t.Fatalf("app got callers %q, want only %q", callers, tt.wantCaller)
			}
			if got.Header.Get("X-Hop") != "" {
				t.Fatalf("app got X-Hop, want it dropped (named in Connection)")
			}
		})
	}
}

// Any mesh member may call when no callers are listed; a local service
// that does not answer is a JSON 502 that does not say where it was.
func TestInboundAnyMemberAndLocalDown(t *testing.T) {
	ca := newCA(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	target := ln.Addr().String()
	ln.Close()
	addr := startInbound(t, ca, target, nil, nil)
	resp, err := inboundClient(t, ca, "checkout").Get("https://" + addr + "/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code, _, _ := problemOf(t, resp, b)
	if resp.StatusCode != 502 || code != codeUnreachable || strings.Contains(string(b), target) {
		t.Fatalf("got %d %s %s, want 502 %s without the local address", resp.StatusCode, code, b, codeUnreachable)
	}
}

// With tracing, an inbound call is a segment named after the local service,
// the child of the caller's call subsegment, and the app gets the header
// that makes its own calls children of that segment.
func TestInboundTrace(t *testing.T) {
	ca := newCA(t)
	tracer, col := newTracer(t, "payment")
	local := httptest.NewServer(echoHandler("payment-app"))
	defer local.Close()
	addr := startInbound(t, ca, strings.TrimPrefix(local.URL, "http://"), nil, tracer)
	req, _ := http.NewRequest("GET", "https://"+addr+"/x", nil)
	req.Header.Set(trace.HeaderName, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	resp, err := inboundClient(t, ca, "orders").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got echo
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	segs, err := col.Wait(ctx, "1-5759e988-bd862e3fe1be46a994272793", 1)
	if err != nil {
		t.Fatal(err)
	}
	seg := segs[0]
	h, _ := trace.ParseHeader(got.Header.Get(trace.HeaderName))
	if seg.Name != "payment" || seg.ParentID != "53995c3f42cd8ad8" || h.Parent != seg.ID || h.Root != seg.TraceID {
		t.Fatalf("got segment %s (parent %s, id %s) and app header %q; want payment, child of the caller's call, the app's parent", seg.Name, seg.ParentID, seg.ID, got.Header.Get(trace.HeaderName))
	}
}

// New refuses dependencies that the configuration needs and lacks.
func TestNewNeedsDependencies(t *testing.T) {
	m := newMesh(t, &discoverer{}, nil, nil, nil)
	inbound := testConfig("127.0.0.1:9911")
	inbound.Service, inbound.TLSSecret, inbound.InboundListen, inbound.InboundTarget = "payment", "s", "127.0.0.1:8443", "127.0.0.1:8080"
	plain := testConfig("127.0.0.1:9911")
	plain.TLSSecret, plain.Plaintext = "s", []string{"legacy"}
	tests := []struct {
		name string
		cfg  Config
		d    Dependencies
		want string
	}{
		{"no mesh", testConfig("127.0.0.1:9911"), Dependencies{}, "Mesh is required"},
		{"plaintext without a plain client", plain, Dependencies{Mesh: m}, "Plain is required"},
		{"inbound without credentials", inbound, Dependencies{Mesh: m}, "Credentials are required"},
		{"invalid config", Config{}, Dependencies{Mesh: m}, "PORTICO_MESH_NAMESPACE is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.d)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
