//go:build e2e

package tests

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/localstack/devtoken"
)

// oidcKID is the kid of the tests' OpenID Connect issuer's key.
const oidcKID = "e2e-oidc-1"

type issuerServer struct{ stop func() }

// startIssuer runs the tests' OpenID Connect issuer (devtoken.Issuer: the
// discovery document and the JWK Set of the tests' key) on a loopback port,
// and sets stack.oidcIssuer, when the functions run on this host (the
// authorizer fetches plain http only from a loopback host; a Lambda container
// of LocalStack does not share it).
func startIssuer(backendHost string, pub []byte) (issuerServer, error) {
	if ip, err := netip.ParseAddr(backendHost); err != nil || !ip.IsLoopback() {
		return issuerServer{stop: func() {}}, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return issuerServer{}, err
	}
	url := "http://" + ln.Addr().String()
	h, err := devtoken.Issuer{URL: url, KeyID: oidcKID, PublicKey: pub}.Handler()
	if err != nil {
		return issuerServer{}, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	stack.oidcIssuer = url
	return issuerServer{stop: func() { srv.Close() }}, nil
}

// oidcToken mints a token of the tests' OpenID Connect issuer, Keycloak-style:
// roles under realm_access, the tenant in a URL-named claim.
func oidcToken(t *testing.T, sub, tenant string, roles ...string) string {
	t.Helper()
	if stack.oidcIssuer == "" {
		t.Skip("no OpenID Connect issuer the functions can reach (the functions do not run on this host)")
	}
	extra := map[string]any{"tier": "enterprise", "realm_access": map[string]any{"roles": roles}}
	if tenant != "" {
		extra["https://portico.dev/tenant"] = tenant
	}
	tok, err := devtoken.Mint(stack.privPEM, devtoken.Claims{Subject: sub, Issuer: stack.oidcIssuer, Audience: audience, KeyID: oidcKID, TTL: time.Hour, Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The authorizer knows the tests' issuer by its URL alone: it read the
// discovery document, took the JWKS from it, and reads the roles from the
// nested realm_access.roles claim and the tenant from a URL-named claim.
func TestOIDCDiscoveryThroughTheStack(t *testing.T) {
	tok := oidcToken(t, "oidc-alice", "acme", "reader")
	a := call(t, "GET", "/api/v1/users/oidc-alice", bearer(tok))
	if a.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200 for a token of the discovered issuer", a.status, a.body)
	}
	got := jsonBody[backend.Answer](t, a)
	want := map[string]string{"X-User-Id": "oidc-alice", "X-User-Roles": "reader", "X-User-Tenant": "acme"}
	for k, v := range want {
		if vs := got.Headers[k]; len(vs) != 1 || vs[0] != v {
			t.Errorf("backend header %s: got %q, want [%q]", k, vs, v)
		}
	}
	// Nested roles drive the route table's permissions like top-level ones.
	if a := call(t, "DELETE", "/api/v1/users/1", bearer(tok)); a.status != http.StatusForbidden {
		t.Errorf("reader DELETE: got %d %s, want 403", a.status, a.body)
	}
	if a := call(t, "DELETE", "/api/v1/users/1", bearer(oidcToken(t, "oidc-admin", "acme", "admin"))); a.status != http.StatusOK {
		t.Errorf("admin (realm_access.roles) DELETE: got %d %s, want 200", a.status, a.body)
	}
}

// A token that names the discovered issuer but is signed with another key,
// or names a kid the issuer's JWKS lacks, is refused.
func TestOIDCTokenNotFromTheIssuerThroughTheStack(t *testing.T) {
	oidcToken(t, "x", "") // skips without an issuer
	_, otherPriv := mustKey(t)
	tests := []struct {
		name string
		key  []byte
		kid  string
	}{
		{"another key, the issuer's kid", otherPriv, oidcKID},
		{"an unknown kid", otherPriv, "not-" + oidcKID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := devtoken.Mint(tt.key, devtoken.Claims{Subject: "mallory", Issuer: stack.oidcIssuer, Audience: audience, KeyID: tt.kid, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			a := call(t, "GET", "/api/v1/users/1", bearer(tok))
			if a.status != http.StatusUnauthorized {
				t.Fatalf("got %d %s, want 401", a.status, a.body)
			}
		})
	}
	if !strings.HasPrefix(stack.oidcIssuer, "http://127.0.0.1:") {
		t.Fatalf("got issuer %s, want a loopback URL", stack.oidcIssuer)
	}
}
