//go:build e2e

package tests

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
)

// Bodies cross the gateway as bytes: the REST API's binary media types are
// */*, and the aggregator base64-encodes exactly the answers that are not
// UTF-8 text or carry a Content-Encoding.

// sendRaw makes a request whose Accept-Encoding is the caller's, so that
// Go's transport leaves a compressed answer as it came.
func sendRaw(t *testing.T, method, path string, headers map[string]string) answer {
	t.Helper()
	return send(t, method, path, nil, headers)
}

// product-service gzips for a client that accepts gzip: curl --compressed
// (Accept: */*, Accept-Encoding: gzip) gets Content-Encoding: gzip and the
// same JSON once decompressed.
func TestGzipAnswerThroughGateway(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-gz", Roles: []string{"reader"}}))
	h["Accept"] = "*/*"
	h["Accept-Encoding"] = "gzip"
	path := "/api/v1/products/gz-" + stack.name // uncached until now
	for _, round := range []string{"MISS", "HIT"} {
		a := sendRaw(t, "GET", path, h)
		if a.status != http.StatusOK || a.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: got %d Content-Encoding %q body %.80q, want 200 gzip", round, a.status, a.header.Get("Content-Encoding"), a.body)
		}
		zr, err := gzip.NewReader(bytes.NewReader(a.body))
		if err != nil {
			t.Fatalf("%s: body is not gzip: %v (%.60q)", round, err, a.body)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		var got backend.Answer
		if err := json.Unmarshal(plain, &got); err != nil || got.Service != "product-service" || len(got.Products) == 0 {
			t.Fatalf("%s: got %q (%v), want product-service's JSON", round, plain, err)
		}
		if x := a.header.Get("X-Cache"); x != round {
			t.Errorf("got X-Cache %q, want %s", x, round)
		}
	}
}

// A client that sends Accept-Encoding: gzip but no Accept (Go's transport
// does, like many SDKs) gets the JSON decompressed by the gateway: API
// Gateway would otherwise hand it the base64 text of the gzip'd bytes.
func TestGzipWithoutAcceptIsDecompressed(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-gz2", Roles: []string{"reader"}}))
	h["Accept-Encoding"] = "gzip"
	a := sendRaw(t, "GET", "/api/v1/products/gz2-"+stack.name, h)
	if a.status != http.StatusOK || a.header.Get("Content-Encoding") != "" {
		t.Fatalf("got %d Content-Encoding %q, want 200 and none", a.status, a.header.Get("Content-Encoding"))
	}
	if got := jsonBody[backend.Answer](t, a); got.Service != "product-service" {
		t.Fatalf("got %+v, want product-service's JSON", got)
	}
}

// GET /api/v1/products/{id}/image: the PNG's bytes through the gateway are
// the backend's, byte for byte.
func TestImageBytesIdenticalThroughGateway(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-img", Roles: []string{"reader"}}))
	h["Accept"] = "image/png"
	id := "img-" + stack.name
	a := call(t, "GET", "/api/v1/products/"+id+"/image", h)
	want := backend.ProductImage(id)
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "image/png" || !bytes.Equal(a.body, want) {
		t.Fatalf("got %d %s, %d bytes (%.16q), want 200 image/png and the backend's %d bytes", a.status, a.header.Get("Content-Type"), len(a.body), a.body, len(want))
	}
	// Without Accept, API Gateway leaves a base64 answer as text (AWS's rule,
	// which the emulator keeps): the bytes are still all there.
	delete(h, "Accept")
	a = call(t, "GET", "/api/v1/products/"+id+"/image", h)
	if got, err := base64.StdEncoding.DecodeString(string(a.body)); a.status != http.StatusOK || err != nil || !bytes.Equal(got, want) {
		t.Fatalf("without Accept: got %d %.40q (%v), want 200 and the PNG in base64", a.status, a.body, err)
	}
}

// A binary upload reaches the backend as the client's bytes.
func TestBinaryUploadThroughGateway(t *testing.T) {
	png := backend.ProductImage("upload")
	h := bearer(token(t, devtoken.Claims{Subject: "user-up", Roles: []string{"admin"}}))
	h["Content-Type"] = "image/png"
	a := send(t, "PUT", "/api/v1/users/up/avatar", bytes.NewReader(png), h)
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", a.status, a.body)
	}
	got := jsonBody[backend.Answer](t, a)
	sum := sha256.Sum256(png)
	if got.Service != "user-service" || got.Method != "PUT" || got.BodyBytes != len(png) || got.BodySHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("got %s %s with %d bytes (sha256 %s), want user-service's PUT with the %d bytes sent", got.Service, got.Method,
			got.BodyBytes, got.BodySHA256, len(png))
	}
}

// Answers are capped as Lambda receives them (6,000,000 bytes serialised):
// 4.4 MB of binary, 5.87 MB once base64-encoded, passes intact; 4.6 MB, 6.13
// MB encoded, gets the gateway's own 502 naming the limit instead of
// Lambda's error; so does a composite answer whose calls add up beyond it.
func TestAnswerSizeCapThroughGateway(t *testing.T) {
	h := bearer(token(t, devtoken.Claims{Subject: "user-big", Roles: []string{"admin"}}))
	h["Accept"] = "*/*"
	tests := []struct {
		name, path, size string
		status           int
		bytes            int
	}{
		{"binary under the cap", "/api/v1/users/big", "user-service=4400000:binary", 200, 4400000},
		{"binary over the cap once encoded", "/api/v1/users/big", "user-service=4600000:binary", 502, 0},
		{"composite over the cap", "/user-dashboard", "user-service=2100000,order-service=2100000,notification-service=2100000", 502, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hh := map[string]string{backend.SizeHeader: tt.size}
			for k, v := range h {
				hh[k] = v
			}
			a := call(t, "GET", tt.path, hh)
			if a.status != tt.status {
				t.Fatalf("got %d (%d bytes) %.200s, want %d", a.status, len(a.body), a.body, tt.status)
			}
			if tt.status == 200 {
				if len(a.body) != tt.bytes || !bytes.Equal(a.body, bytes.Repeat([]byte{0xff}, tt.bytes)) {
					t.Fatalf("got %d bytes, want the backend's %d", len(a.body), tt.bytes)
				}
				return
			}
			msg, _ := jsonBody[map[string]any](t, a)["message"].(string)
			if !strings.Contains(msg, "6000000 bytes") || !strings.Contains(msg, "6 MB") {
				t.Fatalf("got message %q, want the gateway's naming the limit", msg)
			}
		})
	}
}
