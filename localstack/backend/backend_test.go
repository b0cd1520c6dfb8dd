package backend

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

func TestHandler(t *testing.T) {
	tests := []struct {
		service, path string
		check         func(Answer) bool
	}{
		{"user-service", "/users/123", func(a Answer) bool { return a.User["id"] == "123" }},
		{"order-service", "/orders?userId=u", func(a Answer) bool { return len(a.Orders) == 2 && a.Orders[0]["userId"] == "u" }},
		{"notification-service", "/notifications", func(a Answer) bool { return len(a.Notifications) == 1 }},
		{"product-service", "/products", func(a Answer) bool { return len(a.Products) == 1 }},
		{"french-content-service", "/products/1", func(a Answer) bool { return a.Language == "fr" && len(a.Products) == 1 }},
		{"api-v2-service", "/users/9", func(a Answer) bool { return a.APIVersion == 2 && a.User["id"] == "9" }},
	}
	if len(tests) != len(Services) {
		t.Fatalf("got %d cases, want one per service (%d)", len(tests), len(Services))
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("X-User-Id", "u")
			req.Header.Set(FailHeader, "some-other-service")
			rec := httptest.NewRecorder()
			Handler(tt.service).ServeHTTP(rec, req)
			var a Answer
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			if rec.Code != 200 || a.Service != tt.service || a.Headers["X-User-Id"][0] != "u" || !tt.check(a) {
				t.Fatalf("got %d %+v, want %s with its data and the X-User-Id echoed", rec.Code, a, tt.service)
			}
		})
	}
}

func TestFaultInjection(t *testing.T) {
	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set(FailHeader, "user-service, order-service")
	rec := httptest.NewRecorder()
	Handler("order-service").ServeHTTP(rec, req)
	if rec.Code != 503 {
		t.Errorf("named in %s: got %d, want 503", FailHeader, rec.Code)
	}
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"order-service=3s", 3 * time.Second, true},
		{"user-service=1s, order-service=250ms", 250 * time.Millisecond, true},
		{"order-service=1h", maxDelay, true},
		{"order-service=soon", 0, false},
		{"user-service=1s", 0, false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set(DelayHeader, tt.header)
		if d, ok := delayFor(req.Header, "order-service"); d != tt.want || ok != tt.ok {
			t.Errorf("%s %q: got %s %v, want %s %v", DelayHeader, tt.header, d, ok, tt.want, tt.ok)
		}
	}
}

func TestRedirectOnRequest(t *testing.T) {
	req := httptest.NewRequest("GET", "/users/1", nil)
	req.Header.Set(RedirectHeader, "http://internal-service/admin")
	rec := httptest.NewRecorder()
	Handler("user-service").ServeHTTP(rec, req)
	if rec.Code != 302 || rec.Header().Get("Location") != "http://internal-service/admin" {
		t.Fatalf("got %d Location %q, want 302 to http://internal-service/admin", rec.Code, rec.Header().Get("Location"))
	}
}

// A demo service whose certificate does not exist yet refuses handshakes;
// once it loads, the service answers over mutual TLS and names its caller.
func TestLazyTLS(t *testing.T) {
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
	ready := false
	lazy := &LazyTLS{Allow: []string{"gateway"}, Load: func(context.Context) (*mtls.Credentials, error) {
		if !ready {
			return nil, errors.New("secret not found")
		}
		return creds("user-service"), nil
	}}
	srv := httptest.NewUnstartedServer(Versioned("user-service", "v2"))
	srv.TLS = lazy.Config()
	srv.StartTLS()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: creds("gateway").ClientConfig("user-service")}}
	if _, err := client.Get(srv.URL + "/users/1"); err == nil {
		t.Fatal("got an answer before the certificate existed, want a failed handshake")
	}
	ready = true
	lazy.next = time.Time{} // the retry interval has passed
	resp, err := client.Get(srv.URL + "/users/1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a Answer
	json.NewDecoder(resp.Body).Decode(&a)
	if a.Version != "v2" || a.Peer != "spiffe://portico/gateway" {
		t.Fatalf("got version %q peer %q, want v2 and the gateway's identity", a.Version, a.Peer)
	}
}

// product-service gzips its JSON for a client that accepts gzip, and only
// then.
func TestProductServiceGzip(t *testing.T) {
	h := Handler("product-service")
	for _, tt := range []struct {
		accept string
		gzip   bool
	}{{"gzip", true}, {"br, gzip;q=0.5", true}, {"gzip;q=0", false}, {"", false}, {"identity", false}} {
		req := httptest.NewRequest("GET", "/products/1", nil)
		if tt.accept != "" {
			req.Header.Set("Accept-Encoding", tt.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tt.gzip {
			t.Fatalf("Accept-Encoding %q: got gzip %v, want %v", tt.accept, got, tt.gzip)
		}
		body := rec.Body.Bytes()
		if tt.gzip {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("Accept-Encoding %q: body is not gzip: %v", tt.accept, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		var a Answer
		if err := json.Unmarshal(body, &a); err != nil || a.Service != "product-service" || len(a.Products) == 0 {
			t.Fatalf("Accept-Encoding %q: got %q (%v), want product-service's JSON", tt.accept, body, err)
		}
	}
}

// GET /products/{id}/image answers the product's PNG.
func TestProductImage(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler("product-service").ServeHTTP(rec, httptest.NewRequest("GET", "/products/p-1/image", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || !bytes.Equal(rec.Body.Bytes(), ProductImage("p-1")) {
		t.Fatalf("got %d %s (%d bytes), want 200 image/png with ProductImage(p-1)", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
	img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
	if err != nil || img.Bounds().Dx() != 32 {
		t.Fatalf("got %v %v, want a 32×32 PNG", img, err)
	}
	if bytes.Equal(ProductImage("p-1"), ProductImage("p-2")) {
		t.Fatal("two products got the same picture")
	}
	if utf8.Valid(ProductImage("p-1")) {
		t.Fatal("the picture is valid UTF-8: it would not show that binary bodies cross the gateway intact")
	}
}

func TestDemoSize(t *testing.T) {
	h := Handler("user-service")
	for _, tt := range []struct {
		header string
		ctype  string
		size   int
	}{{"user-service=1000", "application/json", 1000}, {"user-service=1000:binary", "application/octet-stream", 1000}, {"order-service=1000", "application/json", 0}} {
		req := httptest.NewRequest("GET", "/users/1", nil)
		req.Header.Set(SizeHeader, tt.header)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("Content-Type"); got != tt.ctype {
			t.Fatalf("%s: got Content-Type %s, want %s", tt.header, got, tt.ctype)
		}
		if tt.ctype == "application/octet-stream" {
			if rec.Body.Len() != tt.size {
				t.Fatalf("%s: got %d bytes, want %d", tt.header, rec.Body.Len(), tt.size)
			}
			continue
		}
		var a Answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || len(a.Padding) != tt.size {
			t.Fatalf("%s: got padding of %d (%v), want %d", tt.header, len(a.Padding), err, tt.size)
		}
	}
}
