package meshproxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// discoverer is a hand-written mesh.Discoverer: instances or an error per
// service, and the services asked for.
type discoverer struct {
	mu        sync.Mutex
	instances map[string][]mesh.Instance
	errs      map[string]error
	asked     []string
}

func (d *discoverer) Discover(_ context.Context, service string) ([]mesh.Instance, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, service)
	if err := d.errs[service]; err != nil {
		return nil, err
	}
	return d.instances[service], nil
}

func (d *discoverer) askedFor() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.asked...)
}

var _ mesh.Discoverer = (*discoverer)(nil)

// echo is what the test backends answer: what they received.
type echo struct {
	Instance string      `json:"instance"`
	Method   string      `json:"method"`
	URI      string      `json:"uri"`
	Host     string      `json:"host"`
	Body     string      `json:"body"`
	Header   http.Header `json:"header"`
	Caller   string      `json:"caller"`
}

// echoHandler answers with an echo of the request.
func echoHandler(id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(echo{Instance: id, Method: r.Method, URI: r.RequestURI, Host: r.Host, Body: string(b), Header: r.Header, Caller: mtls.PeerIdentity(r.TLS)})
	}
}

// backend starts a plain HTTP instance; h nil means echoHandler.
func backend(t *testing.T, id string, h http.Handler) mesh.Instance {
	t.Helper()
	if h == nil {
		h = echoHandler(id)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return instanceOf(t, id, srv.Listener.Addr())
}

// tlsBackend starts an instance serving tlsCfg.
func tlsBackend(t *testing.T, id string, tlsCfg *tls.Config, h http.Handler) mesh.Instance {
	t.Helper()
	if h == nil {
		h = echoHandler(id)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = tlsCfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return instanceOf(t, id, srv.Listener.Addr())
}

func instanceOf(t *testing.T, id string, addr net.Addr) mesh.Instance {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr.String())
	p, _ := strconv.Atoi(port)
	return mesh.Instance{ID: id, Address: host, Port: p}
}

// newMesh returns a mesh client over d with a seeded random source; tls
// and tracer are optional.
func newMesh(t *testing.T, d mesh.Discoverer, creds *mtls.Credentials, tracer mesh.Tracer, policies map[string]mesh.Policy) *mesh.Client {
	t.Helper()
	cfg := mesh.Config{Discoverer: d, Policies: policies, Random: rand.New(rand.NewPCG(7, 11)), Transport: &http.Transport{Proxy: nil}}
	if creds != nil {
		cfg.TLS = creds
	}
	if tracer != nil {
		cfg.Tracer = tracer
	}
	c, err := mesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testConfig is a valid Config for a proxy on listen.
func testConfig(listen string) Config {
	return Config{
		Namespace: "test.local", Listen: listen, MaxServices: DefaultMaxServices, TrustDomain: DefaultTrustDomain,
		Refresh: time.Second, MaxRequestBytes: 1 << 20, MaxResponseBytes: 1 << 20,
	}
}

// startProxy serves the outbound handler of cfg (its Listen replaced by a
// free loopback port) and returns its base URL and the Server.
func startProxy(t *testing.T, cfg Config, d Dependencies) (string, *Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	s, err := New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Outbound(), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + cfg.Listen, s
}

// credentials issues certificates for service from ca.
func credentials(t *testing.T, ca *mtls.CA, service string) *mtls.Credentials {
	t.Helper()
	now := time.Now()
	m, err := ca.Issue(service, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	src := &mtls.Memory{}
	src.Set(m)
	c, err := mtls.New(context.Background(), mtls.Config{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newCA(t *testing.T) *mtls.CA {
	t.Helper()
	now := time.Now()
	ca, err := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// get sends a request through the plain client and decodes an echo.
func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
