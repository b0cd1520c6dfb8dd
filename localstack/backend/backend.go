// Package backend is the demo services that stand behind Portico in the local
// environment: user-service, order-service, notification-service,
// product-service, french-content-service and api-v2-service. Each answers JSON
// that names the service, echoes the method, path, query and headers it
// received (so a test or a curious user sees exactly what crossed the gateway),
// and carries a little demo data.
//
// For demonstrating failures, and only in these demo services, three request
// headers (which the gateway passes through, also to every call of a composite
// route) make a service misbehave:
//
//	X-Demo-Fail: order-service,notification-service   those services answer 503
//	X-Demo-Delay: order-service=12s                   that service waits first (at most 60 s)
//	X-Demo-Redirect: http://internal-service/admin    the service answers 302 to that URL
//	X-Demo-Size: user-service=2000000                 that service's JSON answer carries a
//	                                                  "padding" string of that many bytes
//	X-Demo-Size: user-service=4600000:binary          that service answers that many bytes
//	                                                  of application/octet-stream instead
//	                                                  (at most 8 MiB either way)
//
// The gateway never follows such a redirect: the client gets the 302.
//
// product-service also shows what a gateway must pass through untouched: it
// gzips its JSON for a client that accepts gzip (Content-Encoding: gzip), and
// GET /products/{id}/image answers a PNG (ProductImage).
package backend

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// Services are the names of the demo services.
var Services = []string{"user-service", "order-service", "notification-service", "product-service", "french-content-service", "api-v2-service"}

// Fault-injection headers honoured by the demo services.
const (
	FailHeader     = "X-Demo-Fail"
	DelayHeader    = "X-Demo-Delay"
	RedirectHeader = "X-Demo-Redirect"
	SizeHeader     = "X-Demo-Size"
	maxDelay       = 60 * time.Second
	maxSize        = 8 << 20
)

// Answer is what every demo service returns.
type Answer struct {
	Service string `json:"service"`
	// Version is the instance's version ("v1" unless the instance is another
	// version's, such as user-service's v2 canary).
	Version string `json:"version"`
	// Peer is the verified identity of the caller, when the service is served
	// over mutual TLS (spiffe://portico/gateway for the gateway).
	Peer    string              `json:"peer,omitempty"`
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query,omitempty"`
	Headers map[string][]string `json:"headers"`
	// APIVersion is 2 from api-v2-service.
	APIVersion int `json:"apiVersion,omitempty"`
	// Language is "fr" from french-content-service.
	Language string `json:"language,omitempty"`
	// One of these carries the service's data.
	User          map[string]string   `json:"user,omitempty"`
	Orders        []map[string]any    `json:"orders,omitempty"`
	Notifications []map[string]string `json:"notifications,omitempty"`
	Products      []map[string]any    `json:"products,omitempty"`
	// Padding is X-Demo-Size's filler.
	Padding string `json:"padding,omitempty"`
	// BodySHA256 is the hex SHA-256 of the request body, when it had one,
	// and BodyBytes its length: what a test needs to check an upload.
	BodySHA256 string `json:"bodySha256,omitempty"`
	BodyBytes  int    `json:"bodyBytes,omitempty"`
}

// Handler returns the handler of the named demo service, version v1.
func Handler(service string) http.Handler { return Versioned(service, "v1") }

// Versioned returns the handler of an instance of the named demo service that
// runs version.
func Versioned(service, version string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, ok := delayFor(r.Header, service); ok {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if named(r.Header.Values(FailHeader), service) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"service": service, "error": "failing on request (" + FailHeader + ")"})
			return
		}
		if to := r.Header.Get(RedirectHeader); to != "" {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Location", to)
			w.WriteHeader(http.StatusFound)
			json.NewEncoder(w).Encode(map[string]string{"service": service, "redirect": to})
			return
		}
		if service == "product-service" && r.Method == http.MethodGet {
			if id, ok := imagePath(r.URL.Path); ok {
				w.Header().Set("Content-Type", "image/png")
				w.Header().Set("Cache-Control", "public, max-age=60")
				w.Write(ProductImage(id))
				return
			}
		}
		size, binary := sizeFor(r.Header, service)
		if binary {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(bytes.Repeat([]byte{0xff}, size))
			return
		}
		a := Answer{Service: service, Version: version, Peer: mtls.PeerIdentity(r.TLS), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: r.Header,
			Padding: strings.Repeat("x", size)}
		if body, err := io.ReadAll(io.LimitReader(r.Body, maxSize)); err == nil && len(body) > 0 {
			sum := sha256.Sum256(body)
			a.BodySHA256, a.BodyBytes = hex.EncodeToString(sum[:]), len(body)
		}
		user := r.Header.Get("X-User-Id")
		switch service {
		case "user-service", "api-v2-service":
			id := strings.TrimPrefix(r.URL.Path, "/users/")
			if id == r.URL.Path || id == "" {
				id = user
			}
			a.User = map[string]string{"id": id, "name": "Demo User " + id}
			if service == "api-v2-service" {
				a.APIVersion = 2
				a.User["displayName"] = a.User["name"]
			}
		case "order-service":
			a.Orders = []map[string]any{
				{"id": "o-1001", "userId": user, "total": 42.5, "status": "shipped"},
				{"id": "o-1002", "userId": user, "total": 12.0, "status": "processing"},
			}
		case "notification-service":
			a.Notifications = []map[string]string{
				{"id": "n-1", "userId": user, "text": "Your order o-1001 has shipped"},
			}
		case "product-service":
			a.Products = []map[string]any{{"id": "p-1", "name": "Widget", "price": 9.99}}
		case "french-content-service":
			a.Language = "fr"
			a.Products = []map[string]any{{"id": "p-1", "name": "Gadget", "description": "Un petit gadget", "price": 9.99}}
		}
		w.Header().Set("Content-Type", "application/json")
		if service == "product-service" {
			w.Header().Set("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header) {
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				json.NewEncoder(zw).Encode(a)
				zw.Close()
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(b.Bytes())
				return
			}
		}
		json.NewEncoder(w).Encode(a)
	})
}

// acceptsGzip reports whether Accept-Encoding lists gzip (with a q-value
// above 0).
func acceptsGzip(h http.Header) bool {
	for _, v := range h.Values("Accept-Encoding") {
		for item := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(item), ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// imagePath returns the product id of /products/{id}/image.
func imagePath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/products/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/image")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}

// ProductImage is product id's picture: a 32×32 PNG whose colours follow
// from the id, the same bytes every time, so that a test can check the
// bytes that crossed the gateway.
func ProductImage(id string) []byte {
	h := fnv.New32a()
	h.Write([]byte(id))
	sum := h.Sum32()
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, color.NRGBA{R: uint8(sum) ^ uint8(x*8), G: uint8(sum>>8) ^ uint8(y*8), B: uint8(sum >> 16), A: 0xff})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img) // cannot fail on an in-memory image
	return b.Bytes()
}

// named reports whether a comma-separated header value lists service.
func named(values []string, service string) bool {
	for _, v := range values {
		if slices.ContainsFunc(strings.Split(v, ","), func(s string) bool { return strings.TrimSpace(s) == service }) {
			return true
		}
	}
	return false
}

// sizeFor returns the size X-Demo-Size asks of service, and whether the
// answer is to be binary.
func sizeFor(h http.Header, service string) (int, bool) {
	for _, v := range h.Values(SizeHeader) {
		for item := range strings.SplitSeq(v, ",") {
			name, spec, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok || name != service {
				continue
			}
			n, kind, _ := strings.Cut(spec, ":")
			size, err := strconv.Atoi(n)
			if err != nil || size <= 0 {
				return 0, false
			}
			return min(size, maxSize), kind == "binary"
		}
	}
	return 0, false
}

// delayFor returns the delay that X-Demo-Delay asks of service.
func delayFor(h http.Header, service string) (time.Duration, bool) {
	for _, v := range h.Values(DelayHeader) {
		for item := range strings.SplitSeq(v, ",") {
			name, dur, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok || name != service {
				continue
			}
			d, err := time.ParseDuration(dur)
			if err != nil || d <= 0 {
				return 0, false
			}
			return min(d, maxDelay), true
		}
	}
	return 0, false
}
