package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func goodClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub":   "user-123",
		"iss":   "https://issuer.test",
		"aud":   "portico",
		"exp":   testNow.Add(time.Hour).Unix(),
		"iat":   testNow.Add(-time.Minute).Unix(),
		"roles": []string{"admin", "reader"},
	}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestVerify(t *testing.T) {
	key, pubPEM := newKey(t)
	otherKey, _ := newKey(t)
	v, err := New(Config{PublicKeyPEM: pubPEM, Issuer: "https://issuer.test", Audience: "portico", Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	good := sign(t, jwt.SigningMethodRS256, key, nil, goodClaims())
	parts := strings.Split(good, ".")

	// alg none: an unsigned token with an empty signature.
	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil, goodClaims())
	// algorithm confusion: HS256 with the RSA public key as the HMAC secret.
	hsTok := sign(t, jwt.SigningMethodHS256, pubPEM, nil, goodClaims())
	// tampered payload: same signature, different claims.
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","iss":"https://issuer.test","aud":"portico","exp":9999999999}`)) + "." + parts[2]
	// altered trailing bits of the signature: same bytes under lax decoding.
	sig := []byte(parts[2])
	last := sig[len(sig)-1]
	alt := strings.IndexByte("AQgw", last) // chars that differ only in the unused low bits
	if alt >= 0 {
		sig[len(sig)-1] = "BRhx"[alt]
	} else {
		sig[len(sig)-1] ^= 1
	}
	bitFlip := parts[0] + "." + parts[1] + "." + string(sig)

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrMissingToken},
		{"oversized", strings.Repeat("a", MaxTokenBytes+1), ErrMalformedToken},
		{"ten thousand dots", strings.Repeat(".", 10000), ErrMalformedToken},
		{"garbage", "not-a-jwt", ErrMalformedToken},
		{"expired", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "exp", testNow.Add(-time.Minute).Unix())), ErrTokenExpired},
		{"expired within leeway", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "exp", testNow.Add(-29*time.Second).Unix())), nil},
		{"expired just past leeway", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "exp", testNow.Add(-31*time.Second).Unix())), ErrTokenExpired},
		{"no exp", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "exp", nil)), ErrInvalidToken},
		{"nbf in the future", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "nbf", testNow.Add(time.Hour).Unix())), ErrInvalidToken},
		{"iat in the future", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "iat", testNow.Add(time.Hour).Unix())), ErrInvalidToken},
		{"wrong issuer", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "iss", "https://evil.test")), ErrInvalidToken},
		{"missing issuer", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "iss", nil)), ErrInvalidToken},
		{"wrong audience", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "aud", "other")), ErrInvalidToken},
		{"audience of wrong type", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "aud", 42)), ErrMalformedToken},
		{"missing sub", sign(t, jwt.SigningMethodRS256, key, nil, with(goodClaims(), "sub", nil)), ErrInvalidToken},
		{"alg none", noneTok, ErrInvalidToken},
		{"HS256 with the public key", hsTok, ErrInvalidToken},
		{"RS512 not allowed", sign(t, jwt.SigningMethodRS512, key, nil, goodClaims()), ErrInvalidToken},
		{"signed by another key", sign(t, jwt.SigningMethodRS256, otherKey, nil, goodClaims()), ErrInvalidToken},
		{"tampered payload", tampered, ErrInvalidToken},
		{"signature trailing bits altered", bitFlip, ErrMalformedToken},
		{"crit header", sign(t, jwt.SigningMethodRS256, key, map[string]any{"crit": []string{"exp"}}, goodClaims()), ErrInvalidToken},
		{"jku header", sign(t, jwt.SigningMethodRS256, key, map[string]any{"jku": "https://evil.test/jwks"}, goodClaims()), ErrInvalidToken},
		{"x5u header", sign(t, jwt.SigningMethodRS256, key, map[string]any{"x5u": "https://evil.test/cert"}, goodClaims()), ErrInvalidToken},
		{"embedded jwk header", sign(t, jwt.SigningMethodRS256, key, map[string]any{"jwk": map[string]string{"kty": "RSA"}}, goodClaims()), ErrInvalidToken},
		{"valid", good, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if id.Subject != "user-123" || strings.Join(id.Roles, ",") != "admin,reader" {
					t.Fatalf("got identity %+v, want user-123 with roles admin,reader", id)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header string
		want   string
		err    error
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", nil},
		{"bearer abc.def.ghi", "abc.def.ghi", nil},
		{"BEARER abc.def.ghi", "abc.def.ghi", nil},
		{"", "", ErrMissingToken},
		{"abc.def.ghi", "", ErrMalformedToken},
		{"Bearer  abc.def.ghi", "", ErrMalformedToken},
		{"Bearer abc.def.ghi extra", "", ErrMalformedToken},
		{"Bearer ", "", ErrMalformedToken},
		{"Basic dXNlcjpwYXNz", "", ErrMalformedToken},
		{"Bearer\tabc.def.ghi", "", ErrMalformedToken},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			got, err := BearerToken(tt.header)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	_, pub := newKey(t)
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"complete", Config{PublicKeyPEM: pub, Issuer: "i", Audience: "a"}, true},
		{"no key", Config{Issuer: "i", Audience: "a"}, false},
		{"no issuer", Config{PublicKeyPEM: pub, Audience: "a"}, false},
		{"no audience", Config{PublicKeyPEM: pub, Issuer: "i"}, false},
		{"leeway too large", Config{PublicKeyPEM: pub, Issuer: "i", Audience: "a", Leeway: 6 * time.Minute}, false},
		{"not a key", Config{PublicKeyPEM: []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), Issuer: "i", Audience: "a"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("got error %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestIdentityContext(t *testing.T) {
	id := Identity{Subject: "u1", Roles: []string{"a", "b"}, ExpiresAt: time.Unix(1700000000, 0)}
	got := id.Context()
	if got[ContextUserID] != "u1" || got[ContextRoles] != "a,b" || got[ContextExpiresAt] != int64(1700000000) {
		t.Fatalf("got %v, want userId=u1 roles=a,b exp=1700000000", got)
	}
}
