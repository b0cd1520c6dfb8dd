package mesh

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// serveTLS serves h with cfg on loopback and returns the instance.
func serveTLS(t *testing.T, id string, cfg *mtls.Credentials, allow string, h http.HandlerFunc) Instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, TLSConfig: cfg.ServerConfig(allow), ErrorLog: log.New(io.Discard, "", 0)}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return Instance{ID: id, Address: host, Port: p}
}

// With TLS set, the Client calls instances over mutual TLS and checks each
// one's identity: an instance that presents another service's certificate
// is refused (and counted as a failure), and the request is retried on a
// genuine instance, which sees the caller's identity.
func TestClientMutualTLS(t *testing.T) {
	now := time.Now()
	ca, err := mtls.NewCA("", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	credsFor := func(service string) *mtls.Credentials {
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
	echo := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "payment saw "+mtls.PeerIdentity(r.TLS))
	}
	good := serveTLS(t, "good", credsFor("payment"), "order", echo)
	imposter := serveTLS(t, "imposter", credsFor("fraud"), "order", echo)
	c := newClient(t, Config{
		Discoverer: static(good, imposter),
		TLS:        credsFor("order"),
		Policy:     Policy{LoadBalancer: RoundRobin},
	})
	for i := range 4 {
		resp, err := c.HTTPClient().Get("http://payment/charge")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "payment saw spiffe://portico/order" {
			t.Fatalf("request %d: got %q, want the genuine instance seeing spiffe://portico/order", i, body)
		}
	}
	for _, row := range c.Snapshot().Rows {
		switch row.Instance {
		case "good":
			if row.Status2xx != 4 {
				t.Errorf("good instance: got %d 2xx, want 4", row.Status2xx)
			}
		case "imposter":
			if row.Errors == 0 || row.Status2xx != 0 {
				t.Errorf("imposter: got %d errors and %d 2xx, want errors only", row.Errors, row.Status2xx)
			}
		}
	}
}

func TestTLSNeedsHTTPTransport(t *testing.T) {
	_, err := New(Config{Discoverer: static(), TLS: &mtls.Credentials{}, Transport: &fakeTransport{}})
	if err == nil {
		t.Fatal("got nil error for TLS with a custom RoundTripper, want one")
	}
}

// An instance outside the healthy set of the service (its version has only
// unhealthy instances) is still reachable over TLS when a route sends a
// request there: its address is known as the service's.
func TestClientTLSUnhealthyVersion(t *testing.T) {
	now := time.Now()
	ca, err := mtls.NewCA("", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	credsFor := func(service string) *mtls.Credentials {
		m, _ := ca.Issue(service, now.Add(-time.Hour), now.Add(time.Hour))
		src := &mtls.Memory{}
		src.Set(m)
		c, err := mtls.New(context.Background(), mtls.Config{Source: src})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	reply := func(s string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, s) }
	}
	v1 := serveTLS(t, "v1", credsFor("payment"), "order", reply("v1"))
	v2 := serveTLS(t, "v2", credsFor("payment"), "order", reply("v2"))
	v1.Attributes, v1.Health = map[string]string{"version": "v1"}, HealthHealthy
	v2.Attributes, v2.Health = map[string]string{"version": "v2"}, HealthUnhealthy
	c := newClient(t, Config{Discoverer: static(v1, v2), TLS: credsFor("order"),
		Policy: Policy{Routes: []Route{{Header: "X-Test-User", Value: "true", Version: "v2"}}}})
	req, _ := http.NewRequest(http.MethodGet, "http://payment/charge", nil)
	req.Header.Set("X-Test-User", "true")
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "v2" {
		t.Fatalf("got %q, want v2", body)
	}
}

// With TLSRequiredOnly, a client (the gateway) speaks mutual TLS to the
// services whose policy requires it and plain HTTP to the others; a client
// without credentials refuses to call a service that requires mutual TLS.
func TestTLSOnlyWhereThePolicyRequiresIt(t *testing.T) {
	now := time.Now()
	ca, err := mtls.NewCA("", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	creds := func(service string) *mtls.Credentials {
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
	secure := serveTLS(t, "secure", creds("users"), "gateway", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "peer "+mtls.PeerIdentity(r.TLS))
	})
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "plain") }))
	defer plainSrv.Close()
	plain := instance(t, plainSrv, "plain")
	disc := &fakeDiscoverer{discover: func(service string) ([]Instance, error) {
		if service == "users" {
			return []Instance{secure}, nil
		}
		return []Instance{plain}, nil
	}}
	policies := map[string]Policy{"users": {MTLS: true}}
	gw := newClient(t, Config{Discoverer: disc, TLS: creds("gateway"), TLSRequiredOnly: true, Policies: policies})
	for service, want := range map[string]string{"users": "peer spiffe://portico/gateway", "orders": "plain"} {
		resp, err := gw.HTTPClient().Get("http://" + service + "/x")
		if err != nil {
			t.Fatalf("%s: %v", service, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Errorf("%s: got %q, want %q", service, b, want)
		}
	}
	bare := newClient(t, Config{Discoverer: disc, Policies: policies})
	if _, err := bare.HTTPClient().Get("http://users/x"); !errors.Is(err, ErrTLSRequired) {
		t.Fatalf("a client without a certificate: got %v, want ErrTLSRequired", err)
	}
}
