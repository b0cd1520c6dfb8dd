package devtoken

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// The authorizer's verifier, configured by the issuer's URL alone, accepts a
// token Mint signed: discovery, then the JWK Set.
func TestIssuerServesDiscoveryAndKeys(t *testing.T) {
	priv, pub, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	h, err := Issuer{URL: url, KeyID: "demo-1", PublicKey: pub}.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := auth.New(ctx, auth.Config{Issuers: []auth.Issuer{{Issuer: url, Audiences: []string{"portico"}, RolesClaim: "realm_access.roles"}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Mint(priv, Claims{Subject: "alice", Issuer: url, Audience: "portico", KeyID: "demo-1", TTL: time.Minute,
		Extra: map[string]any{"realm_access": map[string]any{"roles": []string{"admin"}}}})
	if err != nil {
		t.Fatal(err)
	}
	vctx, vcancel := context.WithTimeout(ctx, 5*time.Second)
	defer vcancel()
	id, err := v.Verify(vctx, tok)
	if err != nil || id.Subject != "alice" || len(id.Roles) != 1 || id.Roles[0] != "admin" {
		t.Fatalf("got %+v, %v; want alice with the role admin", id, err)
	}
	if _, err := (Issuer{URL: url + "/", KeyID: "k", PublicKey: pub}).Handler(); err == nil {
		t.Fatalf("a URL with a trailing slash: got no error")
	}
}
