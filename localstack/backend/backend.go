// Package backend is the demo services that stand behind Portico in the local
// environment: user-service, order-service, notification-service and
// product-service. Each answers JSON that names the service, echoes the method,
// path, query and headers it received (so a test or a curious user sees exactly
// what crossed the gateway), and carries a little demo data.
package backend

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Services are the names of the demo services.
var Services = []string{"user-service", "order-service", "notification-service", "product-service"}

// Answer is what every demo service returns.
type Answer struct {
	Service string              `json:"service"`
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query,omitempty"`
	Headers map[string][]string `json:"headers"`
	// One of these carries the service's data.
	User          map[string]string   `json:"user,omitempty"`
	Orders        []map[string]any    `json:"orders,omitempty"`
	Notifications []map[string]string `json:"notifications,omitempty"`
	Products      []map[string]any    `json:"products,omitempty"`
}

// Handler returns the handler of the named demo service.
func Handler(service string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := Answer{Service: service, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: r.Header}
		user := r.Header.Get("X-User-Id")
		switch service {
		case "user-service":
			id := strings.TrimPrefix(r.URL.Path, "/users/")
			if id == r.URL.Path || id == "" {
				id = user
			}
			a.User = map[string]string{"id": id, "name": "Demo User " + id}
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
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(a)
	})
}
