package mesh

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 7, 8, 15, 16, 17, 1000, time.Microsecond * 123, time.Millisecond, 37 * time.Millisecond, 2 * time.Second, time.Minute} {
		i := bucket(int64(d))
		up := bucketUpper(i)
		lo := time.Duration(0)
		if i > 0 {
			lo = bucketUpper(i - 1)
		}
		if d < lo || d >= up || float64(up) > float64(d)*1.125+1 {
			t.Fatalf("got bucket %d [%s, %s) for %s, want it to hold %s within 12.5 %%", i, lo, up, d, d)
		}
	}
}

// Per-instance counters by status class, version and service rollups, and
// latency percentiles measured on the injected clock.
func TestSnapshot(t *testing.T) {
	clock := newClock()
	a, b := inst("a", 1, "version", "v1"), inst("b", 2, "version", "v2")
	n := 0
	tr := &fakeTransport{answer: func(r *http.Request) (*http.Response, error) {
		n++
		clock.Advance(time.Duration(n) * time.Millisecond) // latencies 1..100 ms
		status := 200
		switch {
		case n%10 == 0:
			status = 404
		case n%25 == 0:
			status = 503
		}
		return respond(r, status), nil
	}}
	c := newClient(t, Config{Discoverer: static(a, b), Transport: tr, Clock: clock, Random: seeded(1),
		Policy: Policy{LoadBalancer: RoundRobin, Retry: Retry{Attempts: 1}}})
	for range 100 {
		get(t, c, "http://svc/")
	}
	first := c.Snapshot()
	rows := map[string]Stats{}
	for _, r := range first.Rows {
		rows[r.Version+"/"+r.Instance] = r
	}
	svc := rows["/"]
	if svc.Service != "svc" || svc.Requests != 100 || svc.Status4xx != 10 || svc.Status5xx != 2 || svc.Status2xx != 88 || svc.Active != 0 {
		t.Fatalf("got service row %+v, want 100 requests: 88 2xx, 10 4xx, 2 5xx, none active", svc)
	}
	if rows["v1/"].Requests != 50 || rows["v2/"].Requests != 50 || rows["v1/a"].Requests != 50 || rows["v2/b"].Requests != 50 {
		t.Fatalf("got rows %+v, want 50 requests in each version and instance", first.Rows)
	}
	// Latencies are 1..100 ms: the percentiles are within a bucket (12.5 %).
	for _, p := range []struct {
		got, want time.Duration
	}{{svc.P50, 50 * time.Millisecond}, {svc.P95, 95 * time.Millisecond}, {svc.P99, 99 * time.Millisecond}} {
		if p.got < p.want || float64(p.got) > float64(p.want)*1.125 {
			t.Fatalf("got percentile %s, want %s to %s", p.got, p.want, time.Duration(float64(p.want)*1.125))
		}
	}
	get(t, c, "http://svc/")
	delta := c.Snapshot().Since(first)
	if delta.Rows[0].Requests != 1 || delta.Rows[0].P50 < 101*time.Millisecond {
		t.Fatalf("got %d requests, p50 %s since the first snapshot, want 1 and about 101ms", delta.Rows[0].Requests, delta.Rows[0].P50)
	}
}

func TestWriteEMF(t *testing.T) {
	s := Snapshot{Time: time.UnixMilli(1_700_000_000_123), Rows: []Stats{
		{Service: "payment", Requests: 3, Status2xx: 3, P99: 5 * time.Millisecond},
		{Service: "payment", Version: "v2", Requests: 1},
		{Service: "payment", Version: "v2", Instance: "i-1", Requests: 1},
		{Service: "payment", Instance: "i-2", Requests: 2},
	}}
	var buf bytes.Buffer
	if err := WriteEMF(&buf, s, "Portico/Mesh"); err != nil {
		t.Fatal(err)
	}
	wantDims := [][]string{{"Service"}, {"Service", "Version"}, {"Service", "Version", "Instance"}, {"Service", "Instance"}}
	sc := bufio.NewScanner(&buf)
	i := 0
	for ; sc.Scan(); i++ {
		var line struct {
			AWS struct {
				Timestamp         int64
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name, Unit string }
				}
			} `json:"_aws"`
			Service    string
			Requests   uint64
			LatencyP99 float64
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, sc.Bytes())
		}
		m := line.AWS.CloudWatchMetrics
		if line.AWS.Timestamp != 1_700_000_000_123 || len(m) != 1 || m[0].Namespace != "Portico/Mesh" || len(m[0].Metrics) != 11 {
			t.Fatalf("line %d: got %s, want timestamp, namespace Portico/Mesh and 11 metrics", i, sc.Bytes())
		}
		if got := m[0].Dimensions; len(got) != 1 || !slices.Equal(got[0], wantDims[i]) {
			t.Fatalf("line %d: got dimensions %v, want [%v]", i, got, wantDims[i])
		}
		if line.Service != "payment" || line.Requests != s.Rows[i].Requests {
			t.Fatalf("line %d: got service %q, %d requests; want payment, %d", i, line.Service, line.Requests, s.Rows[i].Requests)
		}
	}
	if i != 4 {
		t.Fatalf("got %d lines, want 4", i)
	}
}
