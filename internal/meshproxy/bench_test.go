package meshproxy

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// BenchmarkProxyOverhead measures what the proxy adds to a call: the same
// GET to the same local instance through the mesh client used directly
// in-process (the baseline: what Go code gets from package mesh) and
// through portico-mesh's outbound handler on a loopback port (what code in
// any other language gets), with plain HTTP and with mutual TLS to the
// instance. The mesh client and its policy are the same in both; the
// caller keeps its connection to the proxy alive.
//
// Each iteration is one round of both calls, in alternating order, so that
// the two see the same machine; the metrics are the medians of the rounds:
// µs/library, µs/proxy and µs/added (the median of each round's proxy −
// library), with p90/added. ns/op is the round's; B/op and allocs/op
// count both calls and the proxy's side.
func BenchmarkProxyOverhead(b *testing.B) {
	ca, err := mtls.NewCA("portico", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	creds := func(service string) *mtls.Credentials {
		m, _ := ca.Issue(service, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		src := &mtls.Memory{}
		src.Set(m)
		c, err := mtls.New(context.Background(), mtls.Config{Source: src})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	plainSrv := httptest.NewServer(ok)
	defer plainSrv.Close()
	tlsSrv := httptest.NewUnstartedServer(ok)
	tlsSrv.TLS = creds("payment").ServerConfig("orders")
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	for _, tc := range []struct {
		name  string
		addr  net.Addr
		creds *mtls.Credentials
	}{
		{"plain", plainSrv.Listener.Addr(), nil},
		{"mtls", tlsSrv.Listener.Addr(), creds("orders")},
	} {
		host, port, _ := net.SplitHostPort(tc.addr.String())
		p, _ := strconv.Atoi(port)
		inst := mesh.Instance{ID: "payment-1", Address: host, Port: p}
		newClient := func(b *testing.B) *mesh.Client {
			cfg := mesh.Config{Discoverer: staticDiscoverer{inst}, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 100}}
			if tc.creds != nil {
				cfg.TLS = tc.creds
			}
			c, err := mesh.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			return c
		}
		b.Run(tc.name, func(b *testing.B) {
			library := newClient(b).HTTPClient()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			s, err := New(testConfig(ln.Addr().String()), Dependencies{Mesh: newClient(b)})
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: s.Outbound(), ErrorLog: log.New(io.Discard, "", 0)}
			go srv.Serve(ln)
			defer srv.Close()
			app := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 100}}
			viaLibrary := func() time.Duration { return timedGet(b, library, "http://payment/charges/1") }
			viaProxy := func() time.Duration { return timedGet(b, app, "http://"+ln.Addr().String()+"/payment/charges/1") }
			viaLibrary() // connections and discovery warm for both
			viaProxy()
			var lib, prx, added []time.Duration
			b.ReportAllocs()
			round := 0
			for b.Loop() {
				var l, p time.Duration
				if round%2 == 0 {
					l, p = viaLibrary(), viaProxy()
				} else {
					p, l = viaProxy(), viaLibrary()
				}
				round++
				lib, prx, added = append(lib, l), append(prx, p), append(added, p-l)
			}
			b.ReportMetric(quantileMicros(lib, 0.5), "µs/library")
			b.ReportMetric(quantileMicros(prx, 0.5), "µs/proxy")
			b.ReportMetric(quantileMicros(added, 0.5), "µs/added")
			b.ReportMetric(quantileMicros(added, 0.9), "p90-µs/added")
		})
	}
}

// timedGet makes one GET and returns how long it took, body read.
func timedGet(b *testing.B, c *http.Client, url string) time.Duration {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != 200 {
		b.Fatalf("got %d, want 200", resp.StatusCode)
	}
	return took
}

// quantileMicros returns the q-quantile of ds in microseconds.
func quantileMicros(ds []time.Duration, q float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))].Nanoseconds()) / 1e3
}

// staticDiscoverer discovers one instance for every service.
type staticDiscoverer struct{ inst mesh.Instance }

func (s staticDiscoverer) Discover(context.Context, string) ([]mesh.Instance, error) {
	return []mesh.Instance{s.inst}, nil
}
