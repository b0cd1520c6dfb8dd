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
//
// The gateway never follows such a redirect: the client gets the 302.
package backend

import (
	"encoding/json"
	"net/http"
	"slices"
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
	maxDelay       = 60 * time.Second
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
		a := Answer{Service: service, Version: version, Peer: mtls.PeerIdentity(r.TLS), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: r.Header}
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
		json.NewEncoder(w).Encode(a)
	})
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
