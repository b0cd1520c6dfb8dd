package auth

import (
	"strconv"
	"strings"
)

// Keys of the authorizer context in which an Identity travels through API
// Gateway, which carries only strings, numbers and booleans. The authorizer
// writes them; the aggregator reads them.
const (
	ContextUserID    = "userId"
	ContextRoles     = "roles"
	ContextScopes    = "scopes"
	ContextTier      = "tier"
	ContextExpiresAt = "exp"
	ContextIssuer    = "iss"
	// ContextClaimPrefix prefixes mapped claims: claim mapping "email" → "email"
	// travels as "claim.email".
	ContextClaimPrefix = "claim."
)

// reservedClaimKeys are the context keys whose headers carry the identity
// itself (X-User-Id, X-User-Roles, X-User-Scopes, X-User-Tier): a claim
// mapping may not use them, in any spelling that folds to them (case, and
// '_' for '-').
var reservedClaimKeys = []string{"id", "roles", "scopes", "tier"}

// ReservedClaimKey reports whether a claim mapping's context key would name
// an identity header (see ContextClaimPrefix): "id", "roles", "scopes" or
// "tier", compared without case and with '_' as '-'.
func ReservedClaimKey(key string) bool {
	f := strings.ReplaceAll(strings.ToLower(key), "_", "-")
	for _, r := range reservedClaimKeys {
		if f == r {
			return true
		}
	}
	return false
}

// Context returns the authorizer context for id. An Identity from a Cache
// carries it ready-made; the map must not be modified.
func (id Identity) Context() map[string]any {
	if id.context != nil {
		return id.context
	}
	return id.buildContext()
}

// withContext returns id with its context built once, for reuse.
func (id Identity) withContext() Identity {
	id.context = id.buildContext()
	return id
}

func (id Identity) buildContext() map[string]any {
	m := map[string]any{
		ContextUserID:    id.Subject,
		ContextRoles:     strings.Join(id.Roles, ","),
		ContextScopes:    strings.Join(id.Scopes, " "),
		ContextTier:      id.Tier,
		ContextExpiresAt: id.ExpiresAt.Unix(),
		ContextIssuer:    id.Issuer,
	}
	for k, v := range id.Claims {
		m[ContextClaimPrefix+k] = v
	}
	return m
}

// StringContext is Context with every value as a string, as HTTP API simple
// responses and some tests want it.
func (id Identity) StringContext() map[string]string {
	m := map[string]string{}
	for k, v := range id.Context() {
		switch t := v.(type) {
		case string:
			m[k] = t
		case int64:
			m[k] = strconv.FormatInt(t, 10)
		}
	}
	return m
}
