package gateway

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/config"
)

// pngBytes is the start of a PNG file: not UTF-8.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// An answer reaches API Gateway base64-encoded exactly when it is not UTF-8
// text or carries a Content-Encoding; with binary media types */* API
// Gateway gives the client the bytes back.
func TestAnswerBase64ExactlyWhenBinaryOrEncoded(t *testing.T) {
	jsonGz := gzipped(t, `{"id":"1"}`)
	tests := []struct {
		name     string
		header   http.Header
		body     []byte
		base64   bool
		wantBody []byte
	}{
		{"JSON text", http.Header{"Content-Type": {"application/json"}}, []byte(`{"id":"1"}`), false, []byte(`{"id":"1"}`)},
		{"UTF-8 text with accents", http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, []byte("café"), false, []byte("café")},
		{"PNG image", http.Header{"Content-Type": {"image/png"}}, pngBytes, true, pngBytes},
		{"gzip'd JSON", http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}, jsonGz, true, jsonGz},
		{"text with a Content-Encoding is still encoded", http.Header{"Content-Encoding": {"identity"}}, []byte("plain"), true, []byte("plain")},
		{"empty body", http.Header{}, nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, services{"user-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, vs := range tt.header {
					w.Header()[k] = vs
				}
				w.Write(tt.body)
			})}, nil)
			// The client accepts gzip (and sends Accept, as curl and browsers do), so
			// the transport hands the body on as sent.
			resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", map[string][]string{"Accept-Encoding": {"gzip"}, "Accept": {"*/*"}}))
			if resp.StatusCode != http.StatusOK || resp.IsBase64Encoded != tt.base64 {
				t.Fatalf("got status %d isBase64Encoded %v, want 200 and %v", resp.StatusCode, resp.IsBase64Encoded, tt.base64)
			}
			got := []byte(resp.Body)
			if tt.base64 {
				var err error
				if got, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
					t.Fatalf("got body %q, want base64: %v", resp.Body, err)
				}
			}
			if !bytes.Equal(got, tt.wantBody) {
				t.Fatalf("got body %q, want %q", got, tt.wantBody)
			}
			if ce := tt.header.Get("Content-Encoding"); ce != "" {
				if v := resp.MultiValueHeaders["Content-Encoding"]; len(v) != 1 || v[0] != ce {
					t.Fatalf("got Content-Encoding %q, want %q kept", v, ce)
				}
			}
		})
	}
}

// A request body API Gateway delivered base64-encoded (every body, with
// binary media types */*) reaches the backend as the client's bytes.
func TestBase64RequestBodyDecodedBeforeForwarding(t *testing.T) {
	var got []byte
	h := newHandler(t, services{"user-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(bytes.Buffer)
		b.ReadFrom(r.Body)
		got = b.Bytes()
	})}, nil)
	ev := event("POST", "/api/v1/users", map[string][]string{"Content-Type": {"image/png"}})
	ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(pngBytes), true
	resp, _ := h.Handle(context.Background(), ev)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, pngBytes) {
		t.Fatalf("got status %d, backend body %q, want 200 and the PNG bytes", resp.StatusCode, got)
	}
}

// capped builds the test handler with a small serialised-size cap.
func capped(t *testing.T, svcs services, limit int) *Handler {
	t.Helper()
	h, err := New(Config{
		Configuration: config.Fixed(testTable(t), nil), Transport: svcs, MaxResponseBytes: limit,
		Now: func() time.Time { return testNow }, NewID: func() string { return "11111111-2222-4333-8444-555555555555" },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The cap counts the answer as Lambda serialises it: a binary body grows by
// a third in base64, and JSON escaping grows text (every control character
// becomes six bytes), so a body well under the cap can still be over it.
func TestSerialisedResponseCap(t *testing.T) {
	const limit = 10_000
	binary := bytes.Repeat([]byte{0xff}, 7_600)               // 10,136 bytes in base64
	escaped := strings.Repeat("\x01", 2_000)                  // 12,000 bytes escaped as \u0001
	fits := bytes.Repeat([]byte("a"), 8_000)                  // under the cap as sent
	items := `{"items":"` + strings.Repeat("x", 4_000) + `"}` // three calls of it: over the cap merged
	svc := func(body []byte, ctype string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Write(body)
		})
	}
	tests := []struct {
		name   string
		svcs   services
		path   string
		status int
	}{
		{"plain answer under the cap", services{"user-service": svc(fits, "text/plain")}, "/api/v1/users/1", 200},
		{"binary answer over the cap once base64", services{"user-service": svc(binary, "application/octet-stream")}, "/api/v1/users/1", 502},
		{"text answer over the cap once escaped", services{"user-service": svc([]byte(escaped), "text/plain")}, "/api/v1/users/1", 502},
		{"composite answer over the cap", services{
			"user-service": svc([]byte(items), "application/json"), "order-service": svc([]byte(items), "application/json"),
			"notification-service": svc([]byte(items), "application/json"),
		}, "/user-dashboard", 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := capped(t, tt.svcs, limit).Handle(context.Background(), event("GET", tt.path, nil))
			if resp.StatusCode != tt.status {
				t.Fatalf("got status %d (body %d bytes), want %d", resp.StatusCode, len(resp.Body), tt.status)
			}
			b, _ := json.Marshal(resp)
			if len(b) > limit {
				t.Fatalf("got a serialised answer of %d bytes, want at most %d", len(b), limit)
			}
			if tt.status == 502 {
				body := decode[map[string]any](t, resp.Body)
				if msg, _ := body["message"].(string); !strings.Contains(msg, "10000 bytes") || !strings.Contains(msg, "6 MB") {
					t.Fatalf("got message %q, want it to name the limit", msg)
				}
				if got := resp.MultiValueHeaders["X-Request-Id"]; len(got) != 1 {
					t.Fatalf("got X-Request-Id %q, want the request ID", got)
				}
			}
		})
	}
}

// A gRPC method's answer is capped the same way.
func TestSerialisedResponseCapGRPC(t *testing.T) {
	b := startPayments(t)
	h, err := New(Config{
		Configuration: grpcSnapshot(t, b.addr), Transport: services{}, MaxResponseBytes: 10_000,
		Now: func() time.Time { return testNow }, NewID: func() string { return "11111111-2222-4333-8444-555555555555" },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		desc   int
		status int
	}{{100, 200}, {12_000, 502}} {
		ev := event("POST", "/api/v1/payments", map[string][]string{"Content-Type": {"application/json"}})
		ev.Body = `{"customerId":"c-1","amount":"1250","currency":"EUR","description":"` + strings.Repeat("d", tt.desc) + `"}`
		resp, _ := h.Handle(context.Background(), ev)
		if resp.StatusCode != tt.status {
			t.Fatalf("description of %d bytes: got status %d, want %d", tt.desc, resp.StatusCode, tt.status)
		}
	}
}

// The default cap is under Lambda's 6 MB response payload limit
// (6,291,556 bytes): a 5 MiB binary answer, within the body cap, is over it
// once base64-encoded, and gets the gateway's 502 instead of Lambda's error.
func TestDefaultCapBelowLambdaLimit(t *testing.T) {
	if DefaultMaxResponseBytes >= 6_291_556 {
		t.Fatalf("got DefaultMaxResponseBytes %d, want it under Lambda's 6,291,556 bytes", DefaultMaxResponseBytes)
	}
	big := bytes.Repeat([]byte{0xfe}, 5<<20)
	h := newHandler(t, services{"user-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(big) })}, nil)
	resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", nil))
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("got status %d, want 502", resp.StatusCode)
	}
}

// A gzip'd answer to a client that sent no Accept header is decompressed:
// API Gateway would hand it the base64 text of the compressed bytes.
func TestGzipDecodedWithoutAccept(t *testing.T) {
	jsonGz := gzipped(t, `{"id":"1"}`)
	h := newHandler(t, services{"user-service": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(jsonGz)
	})}, nil)
	for _, tt := range []struct {
		accept   string
		base64   bool
		encoding string
	}{{"", false, ""}, {"*/*", true, "gzip"}, {"application/json", true, "gzip"}} {
		hdr := map[string][]string{"Accept-Encoding": {"gzip"}}
		if tt.accept != "" {
			hdr["Accept"] = []string{tt.accept}
		}
		resp, _ := h.Handle(context.Background(), event("GET", "/api/v1/users/1", hdr))
		if resp.IsBase64Encoded != tt.base64 || headerValue(resp.MultiValueHeaders, "Content-Encoding") != tt.encoding {
			t.Fatalf("Accept %q: got base64 %v Content-Encoding %q, want %v %q", tt.accept, resp.IsBase64Encoded,
				headerValue(resp.MultiValueHeaders, "Content-Encoding"), tt.base64, tt.encoding)
		}
		if !tt.base64 && resp.Body != `{"id":"1"}` {
			t.Fatalf("Accept %q: got body %q, want the JSON", tt.accept, resp.Body)
		}
	}
}
