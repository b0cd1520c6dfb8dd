package route

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
)

// Permission requires roles or scopes for requests under a path prefix. API
// Gateway reuses one cached authorizer decision for every route, so per-route
// permissions are enforced by the gateway from the identity in the authorizer
// context. They are part of the route document ("permissions"), so a change
// takes effect with the next refresh, without a redeploy:
//
//	"permissions": [
//	  {"path": "/api/v1/users", "methods": ["POST", "PUT", "PATCH", "DELETE"], "anyRole": ["admin"]},
//	  {"path": "/api/v1/orders", "allScopes": ["orders:read"]}
//	]
type Permission struct {
	// Path is the prefix the permission protects (segment boundaries, like
	// Route.Prefix), matched against the cleaned request path.
	Path string `json:"path"`
	// Methods the permission applies to; empty means every method.
	Methods []string `json:"methods,omitempty"`
	// AnyRole: the caller needs at least one of these roles (if any are listed).
	AnyRole []string `json:"anyRole,omitempty"`
	// AllScopes: the caller needs every one of these scopes.
	AllScopes []string `json:"allScopes,omitempty"`
}

// ParsePermissions reads a JSON array of permissions strictly.
func ParsePermissions(doc []byte) ([]Permission, error) {
	var ps []Permission
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ps); err != nil {
		return nil, fmt.Errorf("route: permissions: %w", err)
	}
	if err := validatePermissions(ps); err != nil {
		return nil, fmt.Errorf("route: %w", err)
	}
	return ps, nil
}

func validatePermissions(ps []Permission) error {
	type key struct{ path, method string }
	seen := map[key]bool{}
	for i, p := range ps {
		if p.Path == "" || p.Path[0] != '/' || path.Clean(p.Path) != p.Path {
			return fmt.Errorf("permissions[%d]: path %q: want a clean absolute path", i, p.Path)
		}
		if len(p.AnyRole) == 0 && len(p.AllScopes) == 0 {
			return fmt.Errorf("permissions[%d] (%s): give anyRole, allScopes or both", i, p.Path)
		}
		methods := p.Methods
		if len(methods) == 0 {
			methods = []string{"*"}
		}
		for _, m := range methods {
			if m != "*" && strings.ToUpper(m) != m {
				return fmt.Errorf("permissions[%d] (%s): method %q: want upper case", i, p.Path, m)
			}
			if seen[key{p.Path, m}] {
				return fmt.Errorf("permissions[%d]: %s %s is covered twice; merge the rules", i, m, p.Path)
			}
			seen[key{p.Path, m}] = true
		}
	}
	return nil
}

// Permission returns the permission that governs method on the cleaned path p:
// the one with the longest path, preferring one that names the method over one
// for every method. HEAD is authorised as GET: it is GET without the body (RFC
// 9110 §9.3.2), so a permission on GET governs it too.
func (t *Table) Permission(method, p string) (Permission, bool) {
	return permissionFor(t.doc.Permissions, method, p)
}

func permissionFor(ps []Permission, method, p string) (Permission, bool) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	var best Permission
	bestScore := -1
	for _, perm := range ps {
		if !underPrefix(p, perm.Path) {
			continue
		}
		named := slices.Contains(perm.Methods, method)
		if len(perm.Methods) > 0 && !named {
			continue
		}
		score := len(perm.Path) * 2
		if named {
			score++
		}
		if score > bestScore {
			best, bestScore = perm, score
		}
	}
	return best, bestScore >= 0
}

// Allows reports whether a caller with roles and scopes satisfies perm, and if
// not, what is missing.
func (perm Permission) Allows(roles, scopes []string) (bool, string) {
	if len(perm.AnyRole) > 0 && !slices.ContainsFunc(perm.AnyRole, func(r string) bool { return slices.Contains(roles, r) }) {
		return false, "requires one of the roles " + strings.Join(perm.AnyRole, ", ")
	}
	for _, s := range perm.AllScopes {
		if !slices.Contains(scopes, s) {
			return false, "requires the scope " + s
		}
	}
	return true, ""
}

// underPrefix reports whether p is prefix or lies below it.
func underPrefix(p, prefix string) bool {
	return p == prefix || prefix == "/" || strings.HasPrefix(p, prefix+"/")
}
