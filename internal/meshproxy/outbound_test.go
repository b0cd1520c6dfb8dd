package meshproxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
)

// Both forms of a call reach the service's instance with the method, path,
// query and body the caller sent.
func TestOutboundForwards(t *testing.T) {
	d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", nil)}}}
	base, _ := startProxy(t, testConfig(""), Dependencies{Mesh: newMesh(t, d, nil, nil, nil)})
	proxyURL, _ := url.Parse(base)
	direct := &http.Client{Transport: &http.Transport{Proxy: nil}}
	viaProxy := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	tests := []struct {
		name    string
		client  *http.Client
		method  string
		url     string
		body    string
		wantURI string
	}{
		{"path form", direct, "GET", base + "/payment/charges/42?currency=EUR&x=1&x=2", "", "/charges/42?currency=EUR&x=1&x=2"},
		{"path form, service root", direct, "GET", base + "/payment", "", "/"},
		{"path form, escaped path kept", direct, "GET", base + "/payment/files/a%2Fb%20c", "", "/files/a%2Fb%20c"},
		{"path form, POST body", direct, "POST", base + "/payment/charges", `{"amount":1250}`, "/charges"},
		{"forward proxy (HTTP_PROXY)", viaProxy, "PUT", "http://payment/charges/42?a=b", `{"amount":7}`, "/charges/42?a=b"},
		{"forward proxy, port ignored", viaProxy, "GET", "http://payment:8080/health", "", "/health"},
		{"forward proxy to the proxy itself", viaProxy, "GET", base + "/payment/x", "", "/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			resp, b := do(t, tt.client, req)
			var got echo
			if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %d %s, want 200 and the backend's echo", resp.StatusCode, b)
			}
			if got.Instance != "payment-1" || got.Method != tt.method || got.URI != tt.wantURI || got.Body != tt.body {
				t.Fatalf("got %s %s with body %q at %s, want %s %s with %q at payment-1", got.Method, got.URI, got.Body, got.Instance, tt.method, tt.wantURI, tt.body)
			}
		})
	}
}

// Hop-by-hop headers, and headers the Connection header names, are
// dropped both ways; the others pass.
func TestOutboundHopByHop(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Backend-Secret")
		w.Header().Set("X-Backend-Secret", "s3cr3t")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Kept", "yes")
		echoHandler("payment-1")(w, r)
	})
	d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", h)}}}
	base, _ := startProxy(t, testConfig(""), Dependencies{Mesh: newMesh(t, d, nil, nil, nil)})
	req, _ := http.NewRequest("GET", base+"/payment/x", nil)
	req.Header.Set("Connection", "X-Drop-Me, keep-alive")
	req.Header.Set("X-Drop-Me", "1")
	req.Header.Set("Proxy-Authorization", "Basic Zm9vOmJhcg==")
	req.Header.Set("Te", "trailers")
	req.Header.Set("X-Request-ID", "r-1")
	resp, b := do(t, &http.Client{}, req)
	var got echo
	json.Unmarshal(b, &got)
	for _, name := range []string{"X-Drop-Me", "Proxy-Authorization", "Te", "Keep-Alive"} {
		if v := got.Header.Get(name); v != "" {
			t.Errorf("backend got %s: %q, want it dropped", name, v)
		}
	}
	if got.Header.Get("X-Request-Id") != "r-1" {
		t.Errorf("backend got X-Request-ID %q, want r-1", got.Header.Get("X-Request-Id"))
	}
	if v := resp.Header.Get("X-Backend-Secret"); v != "" {
		t.Errorf("caller got X-Backend-Secret %q, want it dropped (named in Connection)", v)
	}
	if resp.Header.Get("X-Kept") != "yes" || resp.Header.Get(ErrorHeader) != "" {
		t.Errorf("caller got X-Kept %q and %s %q, want yes and none", resp.Header.Get("X-Kept"), ErrorHeader, resp.Header.Get(ErrorHeader))
	}
}

// A 3xx goes back to the caller as it came: the proxy follows no redirect,
// so the Location's host is never called.
func TestOutboundRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target.URL+"/admin")
		w.WriteHeader(http.StatusFound)
		io.WriteString(w, "moved")
	})
	d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", h)}}}
	base, _ := startProxy(t, testConfig(""), Dependencies{Mesh: newMesh(t, d, nil, nil, nil)})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", base+"/payment/x", nil)
	resp, b := do(t, noFollow, req)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != target.URL+"/admin" || string(b) != "moved" {
		t.Fatalf("got %d, Location %q, body %q; want 302 with the backend's Location and body", resp.StatusCode, resp.Header.Get("Location"), b)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("got %d requests to the Location, want 0", n)
	}
}

// problemOf decodes an answer the proxy made itself.
func problemOf(t *testing.T, resp *http.Response, b []byte) (code, message, service string) {
	t.Helper()
	var body struct{ Message, Service string }
	if err := json.Unmarshal(b, &body); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %q (%s), want a JSON problem", b, resp.Header.Get("Content-Type"))
	}
	return resp.Header.Get(ErrorHeader), body.Message, body.Service
}

// What the proxy refuses, it refuses before any call, with a JSON answer
// that says why.
func TestOutboundRefuses(t *testing.T) {
	var calls atomic.Int32
	count := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
	d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", count)}, "orders": {backend(t, "orders-1", count)}}}
	cfg := testConfig("")
	cfg.Services = []string{"payment"}
	cfg.MaxRequestBytes = 16
	base, _ := startProxy(t, cfg, Dependencies{Mesh: newMesh(t, d, nil, nil, nil)})
	proxyURL, _ := url.Parse(base)
	viaProxy := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	tests := []struct {
		name       string
		client     *http.Client
		req        func() *http.Request
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"service not allowed", &http.Client{}, func() *http.Request { r, _ := http.NewRequest("GET", base+"/orders/1", nil); return r },
			403, codeNotAllowed, `"orders" is not one of the services`},
		{"not a mesh host (no open proxy)", viaProxy, func() *http.Request { r, _ := http.NewRequest("GET", "http://example.com/", nil); return r },
			403, codeNotAllowed, `"example.com" is not one of the services`},
		{"address instead of a name", viaProxy, func() *http.Request { r, _ := http.NewRequest("GET", "http://10.0.0.7:8080/", nil); return r },
			400, codeBadRequest, `"10.0.0.7" is an address, not a service name`},
		{"IPv6 address instead of a name", viaProxy, func() *http.Request { r, _ := http.NewRequest("GET", "http://[fd00::7]:9/", nil); return r },
			400, codeBadRequest, `"fd00::7" is an address`},
		{"address in the path form", &http.Client{}, func() *http.Request { r, _ := http.NewRequest("GET", base+"/10.0.0.7/x", nil); return r },
			400, codeBadRequest, `"10.0.0.7" is not a service name`},
		{"no service", &http.Client{}, func() *http.Request { r, _ := http.NewRequest("GET", base+"/", nil); return r },
			400, codeBadRequest, "no service in the path"},
		{"invalid service name", &http.Client{}, func() *http.Request { r, _ := http.NewRequest("GET", base+"/pay%2Fment/x", nil); return r },
			400, codeBadRequest, "is not a service name"},
		{"body over the cap", &http.Client{}, func() *http.Request {
			r, _ := http.NewRequest("POST", base+"/payment/x", strings.NewReader(strings.Repeat("a", 17)))
			return r
		}, 413, codeTooLarge, "over the proxy's limit of 16 bytes"},
		{"body over the cap, chunked", &http.Client{}, func() *http.Request {
			r, _ := http.NewRequest("POST", base+"/payment/x", io.MultiReader(strings.NewReader(strings.Repeat("a", 10)), strings.NewReader(strings.Repeat("b", 10))))
			r.ContentLength = -1
			return r
		}, 413, codeTooLarge, "over the proxy's limit"},
		{"websocket upgrade", &http.Client{}, func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/payment/ws", nil)
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "websocket")
			return r
		}, 501, codeUnsupported, "upgrades"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := calls.Load()
			resp, b := do(t, tt.client, tt.req())
			code, msg, _ := problemOf(t, resp, b)
			if resp.StatusCode != tt.wantStatus || code != tt.wantCode || !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("got %d %s %q, want %d %s with %q", resp.StatusCode, code, msg, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
			if n := calls.Load() - before; n != 0 {
				t.Fatalf("got %d calls to a backend, want none", n)
			}
		})
	}
	if asked := d.askedFor(); slices.Contains(asked, "orders") || slices.Contains(asked, "example.com") {
		t.Fatalf("got discovery of %v, want no lookup of a refused service", asked)
	}
}

// The handler itself refuses a caller from another host (the listener is
// loopback-only; this is the second line), and CONNECT.
func TestOutboundRefusesDirectly(t *testing.T) {
	d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", nil)}}}
	s, err := New(testConfig("127.0.0.1:9911"), Dependencies{Mesh: newMesh(t, d, nil, nil, nil)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, target, remote string
		wantStatus                   int
		wantCode                     string
	}{
		{"remote client", "GET", "/payment/x", "10.0.0.5:40000", 403, codeNotLocal},
		{"remote client, IPv6", "GET", "/payment/x", "[2001:db8::1]:40000", 403, codeNotLocal},
		{"remote address unparsable", "GET", "/payment/x", "pipe", 403, codeNotLocal},
		{"CONNECT (HTTPS_PROXY)", "CONNECT", "payment:443", "127.0.0.1:40000", 405, codeUnsupported},
		{"https absolute URL", "GET", "https://payment/x", "127.0.0.1:40000", 400, codeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, nil)
			req.RemoteAddr = tt.remote
			rec := httptest.NewRecorder()
			s.Outbound().ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || rec.Header().Get(ErrorHeader) != tt.wantCode {
				t.Fatalf("got %d %s %s, want %d %s", rec.Code, rec.Header().Get(ErrorHeader), rec.Body, tt.wantStatus, tt.wantCode)
			}
		})
	}
	if asked := d.askedFor(); len(asked) != 0 {
		t.Fatalf("got discovery of %v, want none", asked)
	}
}

// Without an allow-list, at most MaxServices distinct names reach the
// mesh; names seen before still pass.
func TestOutboundMaxServices(t *testing.T) {
	d := &discoverer{instances: map[string][]mesh.Instance{"a": {backend(t, "a-1", nil)}, "b": {backend(t, "b-1", nil)}}}
	cfg := testConfig("")
	cfg.MaxServices = 2
	base, _ := startProxy(t, cfg, Dependencies{Mesh: newMesh(t, d, nil, nil, nil)})
	for i, tt := range []struct {
		service string
		want    int
	}{{"a", 200}, {"nosuch", 503}, {"b", 503}, {"a", 200}, {"nosuch", 503}} {
		req, _ := http.NewRequest("GET", base+"/"+tt.service+"/", nil)
		resp, b := do(t, &http.Client{}, req)
		if resp.StatusCode != tt.want {
			t.Fatalf("call %d to %s: got %d %s, want %d", i, tt.service, resp.StatusCode, b, tt.want)
		}
		if tt.service == "b" {
			if code, _, _ := problemOf(t, resp, b); code != codeTooMany {
				t.Fatalf("call to b: got code %s, want %s", code, codeTooMany)
			}
		}
	}
}

// The mesh's failures become JSON answers that name the service and never
// an instance's address.
func TestOutboundMeshErrors(t *testing.T) {
	closed := func() mesh.Instance {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		inst := instanceOf(t, "gone-1", ln.Addr())
		ln.Close()
		return inst
	}()
	slow := backend(t, "slow-1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	d := &discoverer{
		instances: map[string][]mesh.Instance{"empty": nil, "gone": {closed}, "slow": {slow}, "secure": {backend(t, "secure-1", nil)}},
		errs:      map[string]error{"broken": errors.New("cloudmap: discover broken.test.local: AccessDenied")},
	}
	policies := map[string]mesh.Policy{
		"slow": {Retry: mesh.Retry{Attempts: 1, PerTryTimeout: mesh.Duration(50 * time.Millisecond)}},
		"gone": {Retry: mesh.Retry{Attempts: 2, BackoffBase: mesh.Duration(time.Millisecond)}},
		// A policy that requires mutual TLS, and a proxy without certificates.
		"secure": {MTLS: true},
	}
	base, _ := startProxy(t, testConfig(""), Dependencies{Mesh: newMesh(t, d, nil, nil, policies)})
	tests := []struct {
		service    string
		wantStatus int
		wantCode   string
	}{
		{"empty", 503, codeNoInstances},
		{"broken", 503, codeDiscovery},
		{"gone", 502, codeUnreachable},
		{"slow", 504, codeTimeout},
		{"secure", 502, codeTLSRequired},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+"/"+tt.service+"/x", nil)
			resp, b := do(t, &http.Client{}, req)
			code, msg, svc := problemOf(t, resp, b)
			if resp.StatusCode != tt.wantStatus || code != tt.wantCode || svc != tt.service {
				t.Fatalf("got %d %s for %q: %s, want %d %s", resp.StatusCode, code, svc, msg, tt.wantStatus, tt.wantCode)
			}
			if strings.Contains(string(b), "127.0.0.1") || strings.Contains(string(b), "AccessDenied") {
				t.Fatalf("got %s, want no address or registry detail", b)
			}
		})
	}
}

// Calls are balanced over the instances, and a failing instance's 500s are
// retried elsewhere: every call succeeds.
func TestOutboundBalancedAndRetried(t *testing.T) {
	var failed atomic.Int32
	failing := backend(t, "payment-3", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		failed.Add(1)
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	d := &discoverer{instances: map[string][]mesh.Instance{"payment": {backend(t, "payment-1", nil), backend(t, "payment-2", nil), failing}}}
	policies := map[string]mesh.Policy{"payment": {LoadBalancer: mesh.RoundRobin, Retry: mesh.Retry{BackoffBase: mesh.Duration(time.Millisecond)}}}
	base, _ := startProxy(t, testConfig(""), Dependencies{Mesh: newMesh(t, d, nil, nil, policies)})
	const n = 60
	served := map[string]int{}
	for i := range n {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/payment/charges/%d", base, i), nil)
		resp, b := do(t, &http.Client{}, req)
		var got echo
		if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("call %d: got %d %s, want 200", i, resp.StatusCode, b)
		}
		served[got.Instance]++
	}
	if served["payment-1"]+served["payment-2"] != n || served["payment-1"] < n/3 || served["payment-2"] < n/3 {
		t.Fatalf("got %v over %d calls, want them split between payment-1 and payment-2", served, n)
	}
	if f := failed.Load(); f != 5 {
		t.Fatalf("got %d calls to the failing payment-3, want 5 (then ejected)", f)
	}
}

// An answer declared over the cap is refused; one that grows past it is cut
// off so the caller sees a broken answer, never a short one that looks whole.
func TestOutboundResponseCap(t *testing.T) {
	big := strings.Repeat("x", 64)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/declared" {
			w.Header().Set("Content-Length", "64")
			io.WriteString(w, big)
			return
		}
		io.WriteString(w, big[:32])
		w.(http.Flusher).Flush() // chunked: no length declared
		io.WriteString(w, big[32:])
	})
	d := &discoverer{instances: map[string][]mesh.Instance{"files": {backend(t, "files-1", h)}}}
	cfg := testConfig("")
	cfg.MaxResponseBytes = 40
	base, _ := startProxy(t, cfg, Dependencies{Mesh: newMesh(t, d, nil, nil, nil)})

	req, _ := http.NewRequest("GET", base+"/files/declared", nil)
	resp, b := do(t, &http.Client{}, req)
	if code, msg, _ := problemOf(t, resp, b); resp.StatusCode != 502 || code != codeTooLarge {
		t.Fatalf("declared: got %d %s %q, want 502 %s", resp.StatusCode, code, msg, codeTooLarge)
	}
	resp, err := http.Get(base + "/files/chunked")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("chunked: got a whole answer of %d bytes, want a read error after at most 40", len(got))
	}
	if len(got) > 40 {
		t.Fatalf("chunked: got %d bytes, want at most 40", len(got))
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"payment", true}, {"payment-v2", true}, {"payment_svc", true}, {"orders.internal", true}, {"a", true},
		{"", false}, {"-payment", false}, {"payment-", false}, {"pay ment", false}, {"pay/ment", false},
		{"pay%2Fment", false}, {"..", false}, {"a..b", false}, {"ümlaut", false}, {strings.Repeat("a", 64), false},
		{strings.Repeat("a.", 63) + "a", true}, {strings.Repeat("a.", 64) + "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidName(tt.name); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
