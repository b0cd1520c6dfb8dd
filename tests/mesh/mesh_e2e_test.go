//go:build e2e

package mesh

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/localstack/meshdemo"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

// setUp starts a demo in a namespace of its own, deleted when the test ends,
// with its segments going to the returned collector.
func setUp(t *testing.T) (*meshdemo.Demo, *tracetest.Collector, string) {
	t.Helper()
	endpoint := os.Getenv("PORTICO_ENDPOINT")
	if endpoint == "" {
		t.Fatal("PORTICO_ENDPOINT is not set (run the tests with make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Endpoint: endpoint, CABundle: os.Getenv("PORTICO_CA_CERT")})
	if err != nil {
		t.Fatal(err)
	}
	col, err := tracetest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { col.Close() })
	ns := fmt.Sprintf("e2e-mesh-%s-%d.local", strings.ToLower(t.Name()), time.Now().UnixNano())
	d, err := meshdemo.Start(ctx, meshdemo.Config{AWS: cfg, Namespace: ns, DaemonAddress: col.Addr(), Seed: 42})
	t.Cleanup(func() {
		if err := d.Close(context.Background()); err != nil {
			t.Errorf("clean up namespace %s: %v", ns, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, col, ns
}

func order(t *testing.T, d *meshdemo.Demo, tester bool) meshdemo.Receipt {
	t.Helper()
	rc, err := d.Order(context.Background(), tester)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// The payment policy is read from Cloud Map's service attributes, by the
// adapter and by the mesh client, which puts it in effect.
func TestPolicyFromCloudMap(t *testing.T) {
	d, _, ns := setUp(t)
	cfg, _ := awsconfig.Load(context.Background(), awsconfig.Options{Endpoint: os.Getenv("PORTICO_ENDPOINT"), CABundle: os.Getenv("PORTICO_CA_CERT")})
	policies, err := cloudmap.NewPolicies(servicediscovery.NewFromConfig(cfg), ns)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := policies.Policy(context.Background(), "payment")
	if err != nil || !ok || !reflect.DeepEqual(got, meshdemo.PaymentPolicy) {
		t.Fatalf("got %+v, %v, %v from Cloud Map; want %+v", got, ok, err, meshdemo.PaymentPolicy)
	}
	if _, ok, err := policies.Policy(context.Background(), "fraud"); ok || err != nil {
		t.Fatalf("fraud: got ok %v, %v; want no policy", ok, err)
	}
	order(t, d, false)
	inEffect, origin := d.Client("order").Policy("payment")
	if origin != mesh.OriginControlPlane || !reflect.DeepEqual(inEffect, meshdemo.PaymentPolicy) {
		t.Fatalf("got %+v from %s in the order service's client, want the Cloud Map policy", inEffect, origin)
	}
}

// 95/5: over 1,000 orders, payment v2 serves 50 ± 34 (5 standard
// deviations of a binomial(1000, 0.05)); the seeded clients make the run
// repeatable.
func TestCanarySplit(t *testing.T) {
	d, _, _ := setUp(t)
	const n = 1000
	versions := map[string]int{}
	for range n {
		versions[order(t, d, false).Version]++
	}
	if v2 := versions["v2"]; v2 < 16 || v2 > 84 || versions["v1"]+v2 != n {
		t.Fatalf("got %v over %d orders, want v2 within 50 ± 34 and the rest on v1", versions, n)
	}
	t.Logf("canary split over %d orders: %v", n, versions)
}

// X-Test-User: true always reaches v2, whatever the weights.
func TestTesterRoute(t *testing.T) {
	d, _, _ := setUp(t)
	for i := range 20 {
		rc := order(t, d, true)
		if rc.Version != "v2" || rc.Hops["payment"] != "payment-v2-a" {
			t.Fatalf("tester order %d: got payment %s (%s), want v2 (payment-v2-a)", i, rc.Hops["payment"], rc.Version)
		}
	}
}

// A payment instance that answers 500 is ejected after 5 consecutive
// failures; meanwhile the orders succeed (retried on another instance), and
// once ejected it receives no more traffic.
func TestEjection(t *testing.T) {
	d, _, _ := setUp(t)
	if err := d.SetFailing("payment-v1-b", true); err != nil {
		t.Fatal(err)
	}
	row := func() mesh.Stats {
		for _, r := range d.Client("order").Snapshot().Rows {
			if r.Instance == "payment-v1-b" {
				return r
			}
		}
		t.Fatal("no metrics row for payment-v1-b")
		return mesh.Stats{}
	}
	for range 60 {
		if rc := order(t, d, false); rc.Hops["payment"] == "payment-v1-b" {
			t.Fatal("got an order served by the failing payment-v1-b, want it retried elsewhere")
		}
	}
	ejected := row()
	if ejected.Ejections != 1 || ejected.Status5xx != 5 {
		t.Fatalf("got payment-v1-b with %d ejections and %d 5xx, want 1 ejection after 5", ejected.Ejections, ejected.Status5xx)
	}
	for range 30 {
		order(t, d, false)
	}
	if after := row(); after.Requests != ejected.Requests {
		t.Fatalf("got %d requests to the ejected payment-v1-b, want none after the ejection (%d before)", after.Requests-ejected.Requests, ejected.Requests)
	}
}

// One order is one trace: the gateway's segment, then a segment per service
// (order, payment, fraud, bank), each the child of its caller's call
// subsegment, which names the instance and version it reached; all captured
// as the X-Ray daemon would receive them.
func TestTrace(t *testing.T) {
	d, col, _ := setUp(t)
	rc := order(t, d, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	segs, err := col.Wait(ctx, rc.TraceID, 9) // 5 segments + 4 call subsegments
	if err != nil {
		t.Fatal(err)
	}
	if _, malformed := col.Segments(); len(malformed) != 0 {
		t.Fatalf("got malformed datagrams %q", malformed)
	}
	hops, err := meshdemo.Hops(segs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hops {
		got = append(got, h.Service)
		if h.Instance != rc.Hops[h.Service] || h.Status != 200 || h.Duration <= 0 {
			t.Errorf("hop %s: got instance %s, status %d, duration %s; want %s, 200, positive", h.Service, h.Instance, h.Status, h.Duration, rc.Hops[h.Service])
		}
	}
	if want := []string{"order", "payment", "fraud", "bank"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got hops %v, want %v", got, want)
	}
	for i := 1; i < len(hops); i++ {
		if hops[i].Start < hops[i-1].Start || hops[i].Start+hops[i].Duration > hops[i-1].Start+hops[i-1].Duration {
			t.Errorf("hop %s does not nest inside %s", hops[i].Service, hops[i-1].Service)
		}
	}
	var b strings.Builder
	meshdemo.Waterfall(&b, rc.TraceID, hops)
	t.Log("\n" + b.String())
}
