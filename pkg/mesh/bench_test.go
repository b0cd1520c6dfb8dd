package mesh

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// BenchmarkOverhead compares one GET through a plain net/http client with the
// same GET through the mesh client (discovery cached, least-request, retry
// bookkeeping, metrics), against the same local server in the same run. The
// mesh's overhead per call is mesh − plain.
func BenchmarkOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	run := func(b *testing.B, client *http.Client, url string) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	b.Run("plain", func(b *testing.B) {
		run(b, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}, srv.URL+"/users/1")
	})
	b.Run("plain-10-per-conn", func(b *testing.B) {
		// The baseline for the default mesh policy: a connection closed after
		// every tenth request, as MaxRequestsPerConnection does.
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/users/1", nil)
			n++
			req.Close = n%10 == 0
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("mesh", func(b *testing.B) {
		c := newClient(b, Config{Discoverer: static(instance(b, srv, "s1")), Transport: &http.Transport{MaxIdleConnsPerHost: 100}})
		run(b, c.HTTPClient(), "http://user-service/users/1")
	})
	b.Run("mesh-keepalive", func(b *testing.B) {
		c := newClient(b, Config{
			Discoverer: static(instance(b, srv, "s1")), Transport: &http.Transport{MaxIdleConnsPerHost: 100},
			Policy: Policy{Pool: Pool{MaxRequestsPerConnection: 1 << 30}},
		})
		run(b, c.HTTPClient(), "http://user-service/users/1")
	})
}

// BenchmarkDiscoveryCalls counts the registry calls (Discover + Revision) for
// 10,000 requests spread over 100 s of fake time (one per 10 ms) with a 10 s
// refresh interval, the revision changing every third interval.
func BenchmarkDiscoveryCalls(b *testing.B) {
	for _, sc := range discoveryScenarios {
		b.Run(sc.name, func(b *testing.B) {
			b.ReportAllocs()
			var calls, intervals int
			for b.Loop() {
				calls, intervals = discoveryCalls(b, sc, 10_000, 10*time.Second, 10*time.Millisecond)
			}
			b.ReportMetric(float64(calls), "calls/10k-requests")
			b.ReportMetric(float64(calls)/float64(intervals), "calls/interval")
		})
	}
}

// BenchmarkTLS compares, against the same handler and certificate in the
// same run, a plain net/http client over server-authenticated TLS with the
// mesh client over mutual TLS (client certificate, identity check, rotation
// checks), with kept-alive connections (the per-call overhead) and with a
// new connection per call (the handshake's cost).
func BenchmarkTLS(b *testing.B) {
	now := time.Now()
	ca, err := mtls.NewCA("", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	creds := func(service string) *mtls.Credentials {
		m, err := ca.Issue(service, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		src := &mtls.Memory{}
		src.Set(m)
		c, err := mtls.New(context.Background(), mtls.Config{Source: src})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	payment, order := creds("payment"), creds("order")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	// Plain TLS: the server presents the same certificate, asks for none.
	plainCfg := payment.ServerConfig()
	get := plainCfg.GetConfigForClient
	plainCfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		c, err := get(h)
		c.ClientAuth, c.VerifyConnection = tls.NoClientCert, nil
		return c, err
	}
	plain := serveBench(b, handler, plainCfg)
	mutual := serveBench(b, handler, payment.ServerConfig("order"))
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	run := func(b *testing.B, client *http.Client, url string) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	for _, keepAlive := range []bool{true, false} {
		name := "keepalive"
		if !keepAlive {
			name = "handshake"
		}
		b.Run(name+"/plain-tls", func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 100, DisableKeepAlives: !keepAlive,
				TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "payment", MinVersion: tls.VersionTLS13}}
			run(b, &http.Client{Transport: tr}, "https://"+plain.HostPort()+"/charge")
		})
		b.Run(name+"/mesh-mtls", func(b *testing.B) {
			c := newClient(b, Config{Discoverer: static(mutual), TLS: order,
				Transport: &http.Transport{MaxIdleConnsPerHost: 100, DisableKeepAlives: !keepAlive}})
			run(b, c.HTTPClient(), "http://payment/charge")
		})
	}
}

func serveBench(b *testing.B, h http.Handler, cfg *tls.Config) Instance {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, TLSConfig: cfg, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.ServeTLS(ln, "", "")
	b.Cleanup(func() { srv.Close() })
	return Instance{ID: ln.Addr().String(), Address: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
}
