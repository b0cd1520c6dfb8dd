package auth

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestClaimAt(t *testing.T) {
	claims := map[string]any{
		"roles":                      []any{"top"},
		"realm_access":               map[string]any{"roles": []any{"admin", "reader"}},
		"resource_access":            map[string]any{"portico": map[string]any{"roles": []any{"billing"}}, "my.app": map[string]any{"roles": []any{"dotted"}}},
		"https://example.com/tenant": "acme",
		"https://example.com/org":    map[string]any{"id": "o-1"},
		"a":                          map[string]any{"b": "nested"},
		"a.b":                        "flat",
	}
	tests := []struct {
		path string
		want any
	}{
		{"roles", []any{"top"}},
		{"realm_access.roles", []any{"admin", "reader"}},
		{"resource_access.portico.roles", []any{"billing"}},
		{"resource_access.my.app.roles", []any{"dotted"}},
		{"https://example.com/tenant", "acme"},
		{"https://example.com/org.id", "o-1"},
		{"a.b", "flat"}, // a top-level name wins over a path
		{"realm_access.missing", nil},
		{"realm_access.roles.0", nil},
		{"missing", nil},
	}
	for _, tt := range tests {
		got, ok := claimAt(claims, tt.path)
		if !reflect.DeepEqual(got, tt.want) || ok != (tt.want != nil) {
			t.Errorf("claimAt(%q): got %v, %v; want %v", tt.path, got, ok, tt.want)
		}
	}
	if _, ok := claimAt(nested(20).(map[string]any), "a.a.a.a.a.a.a.a.a.a.a"); ok {
		t.Errorf("a path deeper than %d levels: got a value, want none", maxClaimDepth)
	}
}

// Keycloak-style tokens: roles, scopes, tier and mapped claims read from
// nested claims and URL-named claims.
func TestNestedClaimsInIdentity(t *testing.T) {
	v, err := New(context.Background(), Config{
		Issuers: []Issuer{{
			Issuer: testIss, Audiences: []string{testAud},
			PublicKeys:  map[string][]byte{"rsa-1": pemOf(t, &rsaKey.PublicKey)},
			RolesClaim:  "realm_access.roles",
			ScopesClaim: "resource_access.portico.scopes",
			TierClaim:   "https://portico.dev/tier",
			ClaimMappings: map[string]string{
				"https://portico.dev/tenant": "tenant",
				"org.id":                     "org",
			},
		}},
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jwt.SigningMethodRS256, rsaKey, kid("rsa-1"), with(goodClaims(),
		"roles", []string{"ignored"},
		"realm_access", map[string]any{"roles": []string{"admin"}},
		"resource_access", map[string]any{"portico": map[string]any{"scopes": "orders:read orders:write"}},
		"https://portico.dev/tier", "pro",
		"https://portico.dev/tenant", "acme",
		"org", map[string]any{"id": 42},
	))
	id, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{Roles: []string{"admin"}, Scopes: []string{"orders:read", "orders:write"}, Tier: "pro", Claims: map[string]string{"tenant": "acme", "org": "42"}}
	if !reflect.DeepEqual(id.Roles, want.Roles) || !reflect.DeepEqual(id.Scopes, want.Scopes) || id.Tier != want.Tier || !reflect.DeepEqual(id.Claims, want.Claims) {
		t.Fatalf("got roles %v scopes %v tier %q claims %v, want %v %v %q %v", id.Roles, id.Scopes, id.Tier, id.Claims, want.Roles, want.Scopes, want.Tier, want.Claims)
	}
	// A nested roles claim of the wrong type is refused, as a top-level one is.
	bad := sign(t, jwt.SigningMethodRS256, rsaKey, kid("rsa-1"), with(goodClaims(), "realm_access", map[string]any{"roles": 7}))
	if _, err := v.Verify(context.Background(), bad); err == nil {
		t.Fatalf("roles of the wrong type: got the token accepted")
	}
}

func TestClaimPathsChecked(t *testing.T) {
	pub := map[string][]byte{"k": pemOf(t, &rsaKey.PublicKey)}
	for _, p := range []string{".roles", "realm_access.", "a..b", "has space", "a.b.c.d.e.f.g.h.i"} {
		cfg := Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: pub, RolesClaim: p}}}
		if err := cfg.Validate(); err == nil {
			t.Errorf("roles claim %q: got it accepted, want it refused", p)
		}
		cfg = Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: pub, ClaimMappings: map[string]string{p: "x"}}}}
		if err := cfg.Validate(); err == nil {
			t.Errorf("mapped claim %q: got it accepted, want it refused", p)
		}
	}
}
