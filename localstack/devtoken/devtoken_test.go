package devtoken

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

func TestMintVerifies(t *testing.T) {
	priv, pub, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.New(context.Background(), auth.Config{Issuers: []auth.Issuer{{Issuer: "iss", Audiences: []string{"aud"}, PublicKeys: map[string][]byte{"k1": pub}}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Mint(priv, Claims{Subject: "u1", Roles: []string{"admin"}, Issuer: "iss", Audience: "aud", KeyID: "k1", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Verify(context.Background(), tok)
	if err != nil || id.Subject != "u1" || id.Roles[0] != "admin" {
		t.Fatalf("got %+v, %v; want u1 with role admin", id, err)
	}
	expired, _ := Mint(priv, Claims{Subject: "u1", Issuer: "iss", Audience: "aud", TTL: -time.Hour})
	if _, err := v.Verify(context.Background(), expired); !errors.Is(err, auth.ErrTokenExpired) {
		t.Fatalf("got %v, want ErrTokenExpired", err)
	}
	if _, err := Mint(priv, Claims{Issuer: "iss", Audience: "aud"}); err == nil {
		t.Fatal("got nil error without subject, want one")
	}
}
