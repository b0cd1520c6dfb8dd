package auth

import (
	"errors"
	"fmt"
	"strings"
)

// A claim path names a claim of a token: a top-level name ("roles",
// "https://example.com/tenant") or a path through nested objects with '.'
// between names ("realm_access.roles", "resource_access.portico.roles"), as
// Keycloak, Auth0 and Cognito tokens need. Names may contain dots themselves
// (a URL claim, a client ID): at each level the longest name the token has
// is taken first, so "https://example.com/tenant" is one claim when the token
// has it, and "resource_access.my.app.roles" finds the client "my.app".

// maxClaimPath bounds a claim path's length and depth.
const (
	maxClaimPath  = 256
	maxClaimDepth = 8
)

// claimAt returns the value at path in claims, and whether there is one.
func claimAt(claims map[string]any, path string) (any, bool) {
	return lookupClaim(claims, path, 0)
}

func lookupClaim(m map[string]any, path string, depth int) (any, bool) {
	if v, ok := m[path]; ok {
		return v, true
	}
	if depth >= maxClaimDepth {
		return nil, false
	}
	// The longest name first: "a.b.c" tries "a.b" then "a".
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		inner, ok := m[path[:i]].(map[string]any)
		if !ok {
			continue
		}
		if v, ok := lookupClaim(inner, path[i+1:], depth+1); ok {
			return v, true
		}
	}
	return nil, false
}

// checkClaimPath accepts a claim path: 1 to 256 bytes of printable ASCII,
// no empty name between dots, at most 8 levels.
func checkClaimPath(path string) error {
	switch {
	case path == "" || len(path) > maxClaimPath:
		return fmt.Errorf("claim %q: want 1 to %d characters", path, maxClaimPath)
	case strings.HasPrefix(path, ".") || strings.HasSuffix(path, ".") || strings.Contains(path, ".."):
		return fmt.Errorf("claim %q: a path has a name between every two dots (realm_access.roles)", path)
	case strings.Count(path, ".") >= maxClaimDepth && !strings.Contains(path, "/"):
		return fmt.Errorf("claim %q: at most %d levels", path, maxClaimDepth)
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c > '~' {
			return errors.New("claim " + fmt.Sprintf("%q", path) + ": printable ASCII without spaces only")
		}
	}
	return nil
}
