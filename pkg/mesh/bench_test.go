package mesh

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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
	b.Run("mesh", func(b *testing.B) {
		c := newClient(b, Config{Discoverer: static(instance(b, srv, "s1")), Transport: &http.Transport{MaxIdleConnsPerHost: 100}})
		run(b, c.HTTPClient(), "http://user-service/users/1")
	})
}

// BenchmarkDiscoveryCalls counts the registry calls (Discover + Revision) for
// 10,000 requests spread over 100 s of fake time (one per 10 ms) with a 10 s
// refresh interval, the revision changing every third interval.
func BenchmarkDiscoveryCalls(b *testing.B) {
	b.ReportAllocs()
	var calls, intervals int
	for b.Loop() {
		calls, intervals = discoveryCalls(b, 10_000, 10*time.Second, 10*time.Millisecond)
	}
	b.ReportMetric(float64(calls), "calls/10k-requests")
	b.ReportMetric(float64(calls)/float64(intervals), "calls/interval")
}
