package gateway

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// Route sends every request under a path prefix to one service.
type Route struct {
	// Prefix is the path prefix the route owns, e.g. "/api/v1/users". It matches
	// the prefix itself and anything below it, on segment boundaries.
	Prefix string
	// Service is the logical service name resolved through the mesh.
	Service string
	// Strip is removed from the front of the path before forwarding, e.g.
	// "/api/v1" turns /api/v1/users/123 into /users/123. Must be a prefix of Prefix.
	Strip string
	// Timeout bounds the backend call; zero means DefaultTimeout. The function's
	// remaining time always bounds it too.
	Timeout time.Duration
}

// DefaultTimeout is the backend timeout of a route that sets none.
const DefaultTimeout = 10 * time.Second

// DefaultRoutes is the skeleton's route table, from the design chapter.
func DefaultRoutes() []Route {
	return []Route{
		{Prefix: "/api/v1/users", Service: "user-service", Strip: "/api/v1"},
		{Prefix: "/api/v1/products", Service: "product-service", Strip: "/api/v1"},
		{Prefix: "/api/v1/orders", Service: "order-service", Strip: "/api/v1", Timeout: 30 * time.Second},
		{Prefix: "/api/v1/notifications", Service: "notification-service", Strip: "/api/v1"},
	}
}

// validateRoutes checks a route table.
func validateRoutes(routes []Route) error {
	seen := map[string]bool{}
	for i, r := range routes {
		switch {
		case r.Prefix == "" || r.Prefix[0] != '/' || path.Clean(r.Prefix) != r.Prefix:
			return fmt.Errorf("gateway: route %d: prefix %q: want a clean absolute path", i, r.Prefix)
		case r.Service == "":
			return fmt.Errorf("gateway: route %d (%s): service is required", i, r.Prefix)
		case r.Strip != "" && !underPrefix(r.Prefix, r.Strip):
			return fmt.Errorf("gateway: route %d (%s): strip %q is not a prefix of it", i, r.Prefix, r.Strip)
		case r.Timeout < 0:
			return fmt.Errorf("gateway: route %d (%s): negative timeout", i, r.Prefix)
		case seen[r.Prefix]:
			return fmt.Errorf("gateway: route %d: prefix %q appears twice", i, r.Prefix)
		}
		seen[r.Prefix] = true
	}
	return nil
}

// match returns the route with the longest prefix that owns p (a clean path).
func match(routes []Route, p string) (Route, bool) {
	var best Route
	found := false
	for _, r := range routes {
		if underPrefix(p, r.Prefix) && (!found || len(r.Prefix) > len(best.Prefix)) {
			best, found = r, true
		}
	}
	return best, found
}

// underPrefix reports whether p is prefix or lies below it.
func underPrefix(p, prefix string) bool {
	return p == prefix || prefix == "/" || strings.HasPrefix(p, prefix+"/")
}

// errBadPath is returned by cleanPath for paths the gateway refuses to route.
var errBadPath = errors.New("bad path")

// cleanPath returns the canonical form of a request path, or errBadPath when it
// contains something a backend could interpret differently from the gateway:
// encoded separators or dots, backslashes, NUL or other control characters, or
// ';' path parameters.
func cleanPath(p string) (string, error) {
	if p == "" {
		p = "/"
	}
	if p[0] != '/' {
		return "", errBadPath
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f, c == '\\', c == ';', c == '%':
			return "", errBadPath
		}
	}
	return path.Clean(p), nil
}
