//go:build e2e

package meshproxy

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/localstack/meshdemo"
	"github.com/portico-gw/portico/localstack/polyglot"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

// paymentPolicy is the payment service's policy in Cloud Map: 90 % to v1,
// 10 % to v2, testers to v2, an instance ejected after 5 straight failures.
var paymentPolicy = mesh.Policy{
	Versions: []mesh.Weighted{{Version: "v1", Weight: 90}, {Version: "v2", Weight: 10}},
	Routes:   []mesh.Route{{Header: "X-Test-User", Value: "true", Version: "v2"}},
	Retry:    mesh.Retry{Attempts: 3, BackoffBase: mesh.Duration(5 * time.Millisecond)},
	Outlier:  mesh.Outlier{Consecutive5xx: 5},
}

// polyglotMesh is the sidecar demo: edge (the test) → order (Python) →
// payment (Node.js, three instances), every hop through portico-mesh
// sidecars over mutual TLS.
type polyglotMesh struct {
	edge     string // the test's own sidecar, outbound
	orderIn  string // the order sidecar's inbound port
	payIn    map[string]string
	control  string // the payment service's control port
	order    *polyglot.Process
	payments *polyglot.Process
	col      *tracetest.Collector
	orderCar *polyglot.Process
	ca       *mtls.CA
}

// receipt is the order service's answer.
type receipt struct {
	Order   string `json:"order"`
	Caller  string `json:"caller"`
	Payment struct {
		Instance string `json:"instance"`
		Version  string `json:"version"`
		Caller   string `json:"caller"`
		Trace    string `json:"trace"`
	} `json:"payment"`
}

func startPolyglot(t *testing.T) *polyglotMesh {
	t.Helper()
	dir, err := polyglot.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ca := newCA(t)
	certs := t.TempDir()
	col, err := tracetest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { col.Close() })
	cm := newCloudMap(t)
	cm.service("order", nil)
	cm.service("payment", &paymentPolicy)
	m := &polyglotMesh{payIn: map[string]string{}, col: col, ca: ca}
	common := func(service string) map[string]string {
		env := certFiles(t, ca, service, certs)
		env["PORTICO_MESH_NAMESPACE"] = cm.name
		env["PORTICO_MESH_SERVICE"] = service
		env["PORTICO_MESH_XRAY_DAEMON"] = col.Addr()
		env["PORTICO_MESH_REFRESH"] = "1s"
		env["PORTICO_MESH_METRICS_INTERVAL"] = "500ms"
		return env
	}

	// payment: one Node.js process, three instances, each behind its own
	// sidecar, which admits order only.
	m.control = freeAddr(t)
	versions := map[string]string{"payment-v1-a": "v1", "payment-v1-b": "v1", "payment-v2-a": "v2"}
	var specs []string
	apps := map[string]string{}
	for _, id := range []string{"payment-v1-a", "payment-v1-b", "payment-v2-a"} {
		apps[id] = freeAddr(t)
		_, port, _ := net.SplitHostPort(apps[id])
		specs = append(specs, id+"="+port+":"+versions[id])
	}
	_, controlPort, _ := net.SplitHostPort(m.control)
	m.payments = start(t, "node", []string{dir + "/payment.js"}, map[string]string{"INSTANCES": strings.Join(specs, ","), "CONTROL_PORT": controlPort}, m.control)
	for id, app := range apps {
		env := common("payment")
		m.payIn[id] = freeAddr(t)
		env["PORTICO_MESH_LISTEN"] = freeAddr(t)
		env["PORTICO_MESH_INBOUND_LISTEN"], env["PORTICO_MESH_INBOUND_TARGET"], env["PORTICO_MESH_INBOUND_ALLOW"] = m.payIn[id], app, "order"
		sidecar(t, id+" sidecar", env, m.payIn[id])
		cm.register("payment", id, m.payIn[id], versions[id])
	}

	// order: Python, its calls to http://payment/ sent through its sidecar
	// by HTTP_PROXY; the sidecar admits edge only.
	orderApp, orderOut := freeAddr(t), freeAddr(t)
	m.orderIn = freeAddr(t)
	env := common("order")
	env["PORTICO_MESH_LISTEN"], env["PORTICO_MESH_SERVICES"] = orderOut, "payment"
	env["PORTICO_MESH_INBOUND_LISTEN"], env["PORTICO_MESH_INBOUND_TARGET"], env["PORTICO_MESH_INBOUND_ALLOW"] = m.orderIn, orderApp, "edge"
	m.orderCar = sidecar(t, "order sidecar", env, orderOut, m.orderIn)
	_, orderPort, _ := net.SplitHostPort(orderApp)
	proxy := "http://" + orderOut
	m.order = start(t, "python3", []string{dir + "/order.py"}, map[string]string{
		"ORDER_PORT": orderPort, "INSTANCE_ID": "order-1",
		"HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "", "no_proxy": "",
	}, orderApp)
	cm.register("order", "order-1", m.orderIn, "")

	// edge: the test's own sidecar, which may call order only.
	m.edge = freeAddr(t)
	env = common("edge")
	env["PORTICO_MESH_LISTEN"], env["PORTICO_MESH_SERVICES"] = m.edge, "order"
	sidecar(t, "edge sidecar", env, m.edge)
	return m
}

// start starts an application process and waits for its port.
func start(t *testing.T, name string, args []string, env map[string]string, port string) *polyglot.Process {
	t.Helper()
	p, err := polyglot.Start(name, args, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(5 * time.Second)
		if t.Failed() {
			t.Logf("%s output:\n%s", name, tail(p.Output(), 4000))
		}
	})
	if err := p.WaitPort(port, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	return p
}

// placeOrder posts an order through the edge sidecar, in the path form.
func (m *polyglotMesh) placeOrder(t *testing.T, header map[string]string) receipt {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+m.edge+"/order/orders", strings.NewReader(`{"item":"book"}`))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rc receipt
	if err := json.Unmarshal(b, &rc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %d %s, want 200 and a receipt", resp.StatusCode, b)
	}
	return rc
}

// counts returns the requests each payment instance received.
func (m *polyglotMesh) counts(t *testing.T) map[string]int {
	t.Helper()
	resp, err := http.Get("http://" + m.control + "/counts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (m *polyglotMesh) setFailing(t *testing.T, instance string, on bool) {
	t.Helper()
	v := "0"
	if on {
		v = "1"
	}
	resp, err := http.Post("http://"+m.control+"/fail?instance="+instance+"&on="+v, "", nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("set %s failing: %v %v", instance, resp, err)
	}
	resp.Body.Close()
}

// A Python service calls a Node.js service, each knowing nothing of the
// mesh, through portico-mesh sidecars; the sidecars follow the payment
// policy that Cloud Map holds.
func TestSidecar(t *testing.T) {
	m := startPolyglot(t)

	t.Run("identities over mutual TLS", func(t *testing.T) {
		rc := m.placeOrder(t, nil)
		if rc.Order != "order-1" || rc.Caller != "spiffe://portico/edge" || rc.Payment.Caller != "spiffe://portico/order" {
			t.Fatalf("got order %s called by %q, payment called by %q; want order-1, edge, order", rc.Order, rc.Caller, rc.Payment.Caller)
		}
	})

	t.Run("one trace across both hops", func(t *testing.T) {
		tracer, err := trace.New(trace.Config{Service: "client", Sender: udpSender(t, m.col.Addr())})
		if err != nil {
			t.Fatal(err)
		}
		_, root := tracer.StartSegment(context.Background(), "client", trace.Header{}, true)
		rc := m.placeOrder(t, map[string]string{trace.HeaderName: root.Header().String()})
		root.SetStatus(200, nil)
		root.End()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The client's segment, the edge sidecar's call to order, order's
		// segment (its sidecar, inbound), order's call to payment (its
		// sidecar, outbound), payment's segment (its sidecar, inbound).
		segs, err := m.col.Wait(ctx, root.TraceID(), 5)
		if err != nil {
			t.Fatal(err)
		}
		hops, err := meshdemo.Hops(segs)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hops {
			got = append(got, h.Service+"@"+h.Instance)
			if h.Status != 200 || h.Duration <= 0 {
				t.Errorf("hop %s: got status %d, duration %s; want 200, positive", h.Service, h.Status, h.Duration)
			}
		}
		if want := []string{"order@order-1", "payment@" + rc.Payment.Instance}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got hops %v, want %v", got, want)
		}
		if !strings.Contains(rc.Payment.Trace, "Root="+root.TraceID()) {
			t.Fatalf("payment got trace header %q, want the client's trace", rc.Payment.Trace)
		}
		var b strings.Builder
		meshdemo.Waterfall(&b, root.TraceID(), hops)
		t.Log("\n" + b.String())
	})

	t.Run("canary split", func(t *testing.T) {
		// 90/10 over 400 orders: v2 within 40 ± 30 (5 standard
		// deviations of a binomial(400, 0.1)).
		const n = 400
		versions := map[string]int{}
		for range n {
			versions[m.placeOrder(t, nil).Payment.Version]++
		}
		if v2 := versions["v2"]; v2 < 10 || v2 > 70 || versions["v1"]+v2 != n {
			t.Fatalf("got %v over %d orders, want v2 within 40 ± 30 and the rest on v1", versions, n)
		}
		t.Logf("canary split over %d orders: %v", n, versions)
	})

	t.Run("tester route", func(t *testing.T) {
		for i := range 20 {
			if rc := m.placeOrder(t, map[string]string{"X-Test-User": "true"}); rc.Payment.Instance != "payment-v2-a" {
				t.Fatalf("tester order %d: got %s, want payment-v2-a", i, rc.Payment.Instance)
			}
		}
	})

	t.Run("ejection", func(t *testing.T) {
		m.setFailing(t, "payment-v1-b", true)
		before := m.counts(t)["payment-v1-b"]
		for i := range 60 {
			if rc := m.placeOrder(t, nil); rc.Payment.Instance == "payment-v1-b" {
				t.Fatalf("order %d: served by the failing payment-v1-b, want it retried elsewhere", i)
			}
		}
		failed := m.counts(t)["payment-v1-b"] - before
		if failed != 5 {
			t.Fatalf("got %d calls to payment-v1-b while it failed, want 5 (then ejected)", failed)
		}
		for range 30 {
			m.placeOrder(t, nil)
		}
		if after := m.counts(t)["payment-v1-b"] - before; after != failed {
			t.Fatalf("got %d more calls to the ejected payment-v1-b, want none", after-failed)
		}
		// The order sidecar's metrics say so too.
		deadline := time.Now().Add(5 * time.Second)
		for sumMetric(emfRows(m.orderCar.Output()), "payment", "payment-v1-b", "Ejections") < 1 {
			if time.Now().After(deadline) {
				t.Fatalf("no ejection of payment-v1-b in the order sidecar's metrics:\n%s", tail(m.orderCar.Output(), 3000))
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("no open proxy, no strangers", func(t *testing.T) {
		// The edge sidecar may call order only.
		resp, err := http.Get("http://" + m.edge + "/payment/charges")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 || resp.Header.Get("X-Portico-Mesh-Error") != "not_allowed" {
			t.Fatalf("edge → payment: got %d %s, want 403 not_allowed", resp.StatusCode, resp.Header.Get("X-Portico-Mesh-Error"))
		}
		proxyURL, _ := url.Parse("http://" + m.edge)
		viaProxy := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
		resp, err = viaProxy.Get("http://example.com/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Fatalf("edge → example.com: got %d, want 403", resp.StatusCode)
		}
		// payment's inbound port admits order only: edge, a member of the
		// mesh, is refused at the handshake; order is let in.
		if resp, err := clientTLS(t, m.ca, "edge", "payment").Post("https://"+m.payIn["payment-v1-a"]+"/charges", "application/json", nil); err == nil {
			resp.Body.Close()
			t.Fatalf("edge → payment's inbound port: got %d, want the handshake refused", resp.StatusCode)
		}
		resp, err = clientTLS(t, m.ca, "order", "payment").Post("https://"+m.payIn["payment-v1-a"]+"/charges", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("order → payment's inbound port: got %d, want 200", resp.StatusCode)
		}
	})
}
