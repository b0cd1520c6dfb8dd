package meshproxy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/extension"
	"github.com/portico-gw/portico/internal/extension/extensiontest"
	"github.com/portico-gw/portico/pkg/mesh"
)

// env is a fake environment for Run.
type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

// freePort returns a loopback address nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// staticBuild builds a mesh client over d, with the Config's refresh
// interval.
func staticBuild(d mesh.Discoverer) Build {
	return func(_ context.Context, cfg Config, log *slog.Logger) (Dependencies, func(), error) {
		c, err := mesh.New(mesh.Config{Discoverer: d, RefreshInterval: cfg.Refresh, Random: rand.New(rand.NewPCG(1, 2)), Transport: &http.Transport{Proxy: nil}, Logger: log})
		return Dependencies{Mesh: c, Logger: log}, func() {}, err
	}
}

// syncBuffer is a bytes.Buffer safe for the test to read while Run writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// countingDiscoverer counts the discoveries per service.
type countingDiscoverer struct {
	discoverer
}

func (c *countingDiscoverer) count(service string) int {
	n := 0
	for _, s := range c.askedFor() {
		if s == service {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// A whole extension life against the in-process Extensions API: the port
// answers from INIT on, the listed services are discovered before INIT
// ends, an INVOKE refreshes what went stale before the extension asks for
// the next event, and SHUTDOWN drains a call in flight and writes the
// metrics before Run returns.
func TestRunExtension(t *testing.T) {
	api := extensiontest.Start()
	defer api.Close()
	slowStarted := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(slowStarted)
			time.Sleep(300 * time.Millisecond)
		}
		echoHandler("payment-1")(w, r)
	})
	d := &countingDiscoverer{discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", slow)}}}}
	listen := freePort(t)
	e := env{
		"AWS_LAMBDA_RUNTIME_API": api.Addr(), "AWS_LAMBDA_FUNCTION_NAME": "orders",
		"PORTICO_MESH_NAMESPACE": "test.local", "PORTICO_MESH_LISTEN": listen, "PORTICO_MESH_SERVICES": "payment",
		"PORTICO_MESH_REFRESH": "50ms", "PORTICO_MESH_METRICS_INTERVAL": "0s",
	}
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"/opt/extensions/portico-mesh"}, e.lookup, out, staticBuild(d))
	}()

	waitFor(t, api.Registered(), "registration")
	if c, err := net.Dial("tcp", listen); err != nil {
		t.Fatalf("port not ready at registration: %v", err)
	} else {
		c.Close()
	}
	waitFor(t, api.Waiting(), "the first Next (end of INIT)")
	if n := d.count("payment"); n != 1 {
		t.Fatalf("got %d discoveries of payment during INIT, want 1 (warmed)", n)
	}
	names, _ := api.Names()
	if len(names) != 1 || names[0] != "portico-mesh" {
		t.Fatalf("got registered names %v, want [portico-mesh]", names)
	}

	time.Sleep(60 * time.Millisecond) // payment's instances go stale
	api.Send(extension.Event{Type: extension.Invoke, RequestID: "req-1", DeadlineMs: time.Now().Add(3 * time.Second).UnixMilli(),
		Tracing: extension.Tracing{Type: "X-Amzn-Trace-Id", Value: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}})
	waitFor(t, api.Waiting(), "the Next after the INVOKE")
	if n := d.count("payment"); n != 2 {
		t.Fatalf("got %d discoveries of payment after the INVOKE, want 2 (refreshed before the next Next)", n)
	}

	// The function calls localhost; one call is still in flight at SHUTDOWN.
	resp, err := http.Get("http://" + listen + "/payment/charges/1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %v %v, want 200", resp, err)
	}
	resp.Body.Close()
	slowResult := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + listen + "/payment/slow")
		if err != nil {
			slowResult <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		slowResult <- resp.StatusCode
	}()
	waitFor(t, slowStarted, "the slow call")
	api.Send(extension.Event{Type: extension.Shutdown, ShutdownReason: "spindown", DeadlineMs: time.Now().Add(2 * time.Second).UnixMilli()})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: got %v, want nil after SHUTDOWN", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after SHUTDOWN")
	}
	if got := <-slowResult; got != 200 {
		t.Fatalf("the call in flight at SHUTDOWN got %d, want 200 (drained)", got)
	}
	var emf map[string]any
	stopped := false
	for _, l := range out.lines() {
		if l["_aws"] != nil && l["Service"] == "payment" && l["Instance"] == nil {
			emf = l
		}
		if l["msg"] == "portico-mesh: stopped" && l["drained"] == true && l["reason"] == "spindown" {
			stopped = true
		}
	}
	if emf == nil || emf["Requests"] != float64(2) {
		t.Fatalf("got EMF line %v, want payment's with 2 requests", emf)
	}
	if !stopped {
		t.Fatal("got no drained stop line")
	}
	if p := api.Problems(); len(p) != 0 {
		t.Fatalf("got contract problems %q", p)
	}
}

// A configuration error is reported to Lambda as an init error, after
// registering (the API takes errors from registered extensions only).
func TestRunExtensionConfigError(t *testing.T) {
	api := extensiontest.Start()
	defer api.Close()
	e := env{"AWS_LAMBDA_RUNTIME_API": api.Addr(), "PORTICO_MESH_LISTEN": "0.0.0.0:9911"}
	err := run(context.Background(), []string{"portico-mesh"}, e.lookup, io.Discard, staticBuild(&discoverer{}))
	if err == nil || !strings.Contains(err.Error(), "PORTICO_MESH_NAMESPACE is required") || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("got %v, want both problems named", err)
	}
	reports := api.Reports()
	if len(reports) != 1 || reports[0].ErrorType != errTypeConfig || !strings.Contains(reports[0].Message, "PORTICO_MESH_NAMESPACE") {
		t.Fatalf("got reports %+v, want one %s naming PORTICO_MESH_NAMESPACE", reports, errTypeConfig)
	}
}

// Calls that arrive while the clients are being built wait; if the build
// fails they get a 503 that says why, and Lambda gets an init error.
func TestRunExtensionBuildError(t *testing.T) {
	api := extensiontest.Start()
	defer api.Close()
	release := make(chan struct{})
	build := func(context.Context, Config, *slog.Logger) (Dependencies, func(), error) {
		<-release
		return Dependencies{}, nil, errors.New("certificates: secret portico/mesh/orders: AccessDeniedException")
	}
	listen := freePort(t)
	e := env{"AWS_LAMBDA_RUNTIME_API": api.Addr(), "PORTICO_MESH_NAMESPACE": "test.local", "PORTICO_MESH_LISTEN": listen}
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), []string{"portico-mesh"}, e.lookup, io.Discard, build) }()
	waitFor(t, api.Registered(), "registration")
	type result struct {
		status int
		code   string
		body   string
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + listen + "/payment/x")
		if err != nil {
			got <- result{}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{resp.StatusCode, resp.Header.Get(ErrorHeader), string(b)}
	}()
	time.Sleep(50 * time.Millisecond) // the call is waiting at the gate
	close(release)
	r := <-got
	if r.status != 503 || r.code != codeStarting || !strings.Contains(r.body, "AccessDeniedException") {
		t.Fatalf("got %+v, want 503 %s with the reason", r, codeStarting)
	}
	if err := <-done; err == nil {
		t.Fatal("Run: got nil, want the build error")
	}
	if reports := api.Reports(); len(reports) != 1 || reports[0].ErrorType != errTypeInit {
		t.Fatalf("got reports %+v, want one %s", reports, errTypeInit)
	}
}

// As a sidecar it serves until its context ends, then drains and writes
// its metrics.
func TestRunSidecar(t *testing.T) {
	d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", nil)}}}
	listen := freePort(t)
	e := env{"PORTICO_MESH_NAMESPACE": "test.local", "PORTICO_MESH_LISTEN": listen, "PORTICO_MESH_SERVICE": "orders", "PORTICO_MESH_METRICS_INTERVAL": "20ms"}
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"portico-mesh"}, e.lookup, out, staticBuild(d)) }()
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = http.Get("http://" + listen + "/payment/x"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %v %v, want 200", resp, err)
	}
	resp.Body.Close()
	time.Sleep(60 * time.Millisecond) // at least one periodic write
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: got %v, want nil", err)
	}
	requests := 0.0
	for _, l := range out.lines() {
		if l["_aws"] != nil && l["Service"] == "payment" && l["Instance"] == nil {
			requests += l["Requests"].(float64)
		}
	}
	if requests != 1 {
		t.Fatalf("got %v requests to payment over the metric lines, want 1 (each counted once)", requests)
	}
}
