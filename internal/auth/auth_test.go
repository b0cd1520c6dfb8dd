package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const (
	testIss = "https://issuer.test"
	testAud = "portico"
)

// keys used across tests, generated once.
var (
	rsaKey, rsaOther, rsaSmall *rsa.PrivateKey
	ecKey                      *ecdsa.PrivateKey
	ec521Key                   *ecdsa.PrivateKey
	edPub                      ed25519.PublicKey
	edKey                      ed25519.PrivateKey
)

func init() {
	rsaKey, _ = rsa.GenerateKey(rand.Reader, 2048)
	rsaOther, _ = rsa.GenerateKey(rand.Reader, 2048)
	rsaSmall, _ = rsa.GenerateKey(rand.Reader, 1024)
	ecKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec521Key, _ = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	edPub, edKey, _ = ed25519.GenerateKey(rand.Reader)
}

func pemOf(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
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
		"iss":   testIss,
		"aud":   testAud,
		"exp":   testNow.Add(time.Hour).Unix(),
		"iat":   testNow.Add(-time.Minute).Unix(),
		"roles": []string{"admin", "reader"},
	}
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func kid(k string) map[string]any { return map[string]any{"kid": k} }

// newTestVerifier trusts testIss with RS256 key "rsa-1", ES256 key "ec-1" and
// EdDSA key "ed-1", and a second issuer with its own audience.
func newTestVerifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := New(context.Background(), Config{
		Issuers: []Issuer{
			{
				Issuer: testIss, Audiences: []string{testAud, "portico-admin"},
				Algorithms:    []string{"RS256", "ES256", "EdDSA"},
				PublicKeys:    map[string][]byte{"rsa-1": pemOf(t, &rsaKey.PublicKey), "ec-1": pemOf(t, &ecKey.PublicKey), "ed-1": pemOf(t, edPub)},
				ClaimMappings: map[string]string{"email": "email", "org_id": "org"},
			},
			{Issuer: "https://other.test", Audiences: []string{"other-aud"}, PublicKeys: map[string][]byte{"o-1": pemOf(t, &rsaOther.PublicKey)}},
		},
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// nested returns a JSON object nested depth levels deep.
func nested(depth int) any {
	var v any = "x"
	for range depth {
		v = map[string]any{"a": v}
	}
	return v
}

// TestVerifySecurityTable is the token section of SECURITY.md, case by case.
func TestVerifySecurityTable(t *testing.T) {
	v := newTestVerifier(t)
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, rsaKey, kid("rsa-1"), c) }
	good := rs(goodClaims())
	parts := strings.Split(good, ".")
	pubPEM := pemOf(t, &rsaKey.PublicKey)

	unsigned := func(header string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + parts[1] + "."
	}
	// signature trailing bits altered: same bytes under lax decoding.
	sig := []byte(parts[2])
	sig[len(sig)-1] = "BRhx"[strings.IndexByte("AQgw", sig[len(sig)-1])]
	bitFlip := parts[0] + "." + parts[1] + "." + string(sig)
	tamper := func(claims string) string {
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + "." + parts[2]
	}

	tests := []struct {
		name  string
		token string
		want  error
	}{
		// alg
		{"alg none", unsigned(`{"alg":"none","typ":"JWT","kid":"rsa-1"}`), ErrInvalidToken},
		{"alg None", unsigned(`{"alg":"None","typ":"JWT","kid":"rsa-1"}`), ErrInvalidToken},
		{"alg NONE", unsigned(`{"alg":"NONE","typ":"JWT","kid":"rsa-1"}`), ErrInvalidToken},
		{"alg empty", unsigned(`{"alg":"","typ":"JWT","kid":"rsa-1"}`), ErrInvalidToken},
		{"alg missing", unsigned(`{"typ":"JWT","kid":"rsa-1"}`), ErrInvalidToken},
		{"alg none signed by the library", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid("rsa-1"), goodClaims()), ErrInvalidToken},
		{"alg RS512 not on the allow-list", sign(t, jwt.SigningMethodRS512, rsaKey, kid("rsa-1"), goodClaims()), ErrInvalidToken},
		{"alg PS256 not on the allow-list", sign(t, jwt.SigningMethodPS256, rsaKey, kid("rsa-1"), goodClaims()), ErrInvalidToken},
		{"HS256 with the RSA public key as secret", sign(t, jwt.SigningMethodHS256, pubPEM, kid("rsa-1"), goodClaims()), ErrInvalidToken},
		{"HS256 without kid", sign(t, jwt.SigningMethodHS256, pubPEM, nil, goodClaims()), ErrInvalidToken},
		{"ES256 token on the RSA kid", sign(t, jwt.SigningMethodES256, ecKey, kid("rsa-1"), goodClaims()), ErrInvalidToken},
		{"RS256 allowed for issuer but alg of other issuer's list", sign(t, jwt.SigningMethodES256, ecKey, kid("o-1"), with(goodClaims(), "iss", "https://other.test", "aud", "other-aud")), ErrInvalidToken},
		// kid
		{"kid unknown", sign(t, jwt.SigningMethodRS256, rsaKey, kid("nope"), goodClaims()), ErrInvalidToken},
		{"kid path-like", sign(t, jwt.SigningMethodRS256, rsaKey, kid("../../dev/null"), goodClaims()), ErrInvalidToken},
		{"kid SQL-like", sign(t, jwt.SigningMethodRS256, rsaKey, kid("' OR '1'='1"), goodClaims()), ErrInvalidToken},
		{"kid not a string", sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": 7}, goodClaims()), ErrInvalidToken},
		{"kid of another issuer's key", sign(t, jwt.SigningMethodRS256, rsaOther, kid("o-1"), goodClaims()), ErrInvalidToken},
		// key-carrying and critical headers
		{"jku header", sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1", "jku": "https://evil.test/jwks"}, goodClaims()), ErrInvalidToken},
		{"x5u header", sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1", "x5u": "https://evil.test/cert"}, goodClaims()), ErrInvalidToken},
		{"x5c header", sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1", "x5c": []string{"MIIB"}}, goodClaims()), ErrInvalidToken},
		{"embedded jwk header", sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1", "jwk": map[string]string{"kty": "RSA"}}, goodClaims()), ErrInvalidToken},
		{"crit header", sign(t, jwt.SigningMethodRS256, rsaKey, map[string]any{"kid": "rsa-1", "crit": []string{"exp"}}, goodClaims()), ErrInvalidToken},
		// time
		{"expired", rs(with(goodClaims(), "exp", testNow.Add(-time.Hour).Unix())), ErrTokenExpired},
		{"expired 29 s ago, inside leeway", rs(with(goodClaims(), "exp", testNow.Add(-29*time.Second).Unix())), nil},
		{"expired 30 s ago, at the leeway boundary", rs(with(goodClaims(), "exp", testNow.Add(-30*time.Second).Unix())), ErrTokenExpired},
		{"expired 31 s ago, past leeway", rs(with(goodClaims(), "exp", testNow.Add(-31*time.Second).Unix())), ErrTokenExpired},
		{"no exp", rs(with(goodClaims(), "exp", nil)), ErrInvalidToken},
		{"exp not a number", rs(with(goodClaims(), "exp", "tomorrow")), ErrInvalidToken},
		{"nbf in the future", rs(with(goodClaims(), "nbf", testNow.Add(time.Hour).Unix())), ErrInvalidToken},
		{"nbf 29 s ahead, inside leeway", rs(with(goodClaims(), "nbf", testNow.Add(29*time.Second).Unix())), nil},
		{"nbf 31 s ahead, past leeway", rs(with(goodClaims(), "nbf", testNow.Add(31*time.Second).Unix())), ErrInvalidToken},
		{"iat in the future", rs(with(goodClaims(), "iat", testNow.Add(time.Hour).Unix())), ErrInvalidToken},
		// iss and aud
		{"wrong issuer", rs(with(goodClaims(), "iss", "https://evil.test")), ErrInvalidToken},
		{"missing issuer", rs(with(goodClaims(), "iss", nil)), ErrInvalidToken},
		{"issuer of wrong type", rs(with(goodClaims(), "iss", 5)), ErrInvalidToken},
		{"wrong audience", rs(with(goodClaims(), "aud", "other")), ErrInvalidToken},
		{"missing audience", rs(with(goodClaims(), "aud", nil)), ErrInvalidToken},
		{"audience of wrong type", rs(with(goodClaims(), "aud", 42)), ErrInvalidToken},
		{"audience list with one accepted", rs(with(goodClaims(), "aud", []string{"x", "portico-admin"})), nil},
		{"other issuer's audience", rs(with(goodClaims(), "aud", "other-aud")), ErrInvalidToken},
		// other claims
		{"missing sub", rs(with(goodClaims(), "sub", nil)), ErrInvalidToken},
		{"roles of wrong type", rs(with(goodClaims(), "roles", 3)), ErrInvalidToken},
		{"role containing a comma", rs(with(goodClaims(), "roles", []string{"admin,superuser"})), ErrInvalidToken},
		{"deeply nested claim", rs(with(goodClaims(), "deep", nested(200))), nil},
		// encoding and size
		{"empty", "", ErrMissingToken},
		{"over 8 KiB", strings.Repeat("a", MaxTokenBytes+1), ErrMalformedToken},
		{"over 8 KiB but signed", rs(with(goodClaims(), "pad", strings.Repeat("p", MaxTokenBytes))), ErrMalformedToken},
		{"ten thousand dots", strings.Repeat(".", 10000), ErrMalformedToken},
		{"two parts", parts[0] + "." + parts[1], ErrMalformedToken},
		{"garbage", "not-a-jwt", ErrMalformedToken},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("nope")) + "." + parts[1] + "." + parts[2], ErrMalformedToken},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], ErrMalformedToken},
		{"tampered payload", tamper(`{"sub":"admin","iss":"https://issuer.test","aud":"portico","exp":9999999999}`), ErrInvalidToken},
		{"signature trailing bits altered", bitFlip, ErrMalformedToken},
		{"signature stripped", parts[0] + "." + parts[1] + ".", ErrInvalidToken},
		{"signed by another key", sign(t, jwt.SigningMethodRS256, rsaOther, kid("rsa-1"), goodClaims()), ErrInvalidToken},
		// good tokens of every algorithm
		{"valid RS256", good, nil},
		{"valid ES256", sign(t, jwt.SigningMethodES256, ecKey, kid("ec-1"), goodClaims()), nil},
		{"valid EdDSA", sign(t, jwt.SigningMethodEdDSA, edKey, kid("ed-1"), goodClaims()), nil},
		{"valid without kid", sign(t, jwt.SigningMethodRS256, rsaKey, nil, goodClaims()), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if id.Subject != "user-123" || id.Issuer != testIss {
					t.Fatalf("got identity %+v, want user-123 of %s", id, testIss)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v, want %v", err, tt.want)
			}
		})
	}
	if n := len(tests); n < 30 {
		t.Fatalf("got %d cases, want at least 30", n)
	}
}

func TestIdentityClaims(t *testing.T) {
	v := newTestVerifier(t)
	tok := sign(t, jwt.SigningMethodRS256, rsaKey, kid("rsa-1"), with(goodClaims(),
		"scope", "read:orders write:orders", "tier", "pro", "email", "a@example.com", "org_id", 42.0, "roles", "admin reader"))
	id, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(id.Roles, ",") != "admin,reader" || strings.Join(id.Scopes, " ") != "read:orders write:orders" || id.Tier != "pro" {
		t.Fatalf("got roles %q scopes %q tier %q, want admin,reader / read:orders write:orders / pro", id.Roles, id.Scopes, id.Tier)
	}
	if id.Claims["email"] != "a@example.com" || id.Claims["org"] != "42" {
		t.Fatalf("got claims %v, want email and org mapped", id.Claims)
	}
	ctx := id.StringContext()
	want := map[string]string{"userId": "user-123", "roles": "admin,reader", "scopes": "read:orders write:orders", "tier": "pro", "claim.email": "a@example.com", "exp": fmt.Sprint(testNow.Add(time.Hour).Unix()), "iss": testIss}
	for k, w := range want {
		if ctx[k] != w {
			t.Errorf("context %s: got %q, want %q", k, ctx[k], w)
		}
	}
}

func TestOtherIssuer(t *testing.T) {
	v := newTestVerifier(t)
	tok := sign(t, jwt.SigningMethodRS256, rsaOther, kid("o-1"), with(goodClaims(), "iss", "https://other.test", "aud", "other-aud"))
	id, err := v.Verify(context.Background(), tok)
	if err != nil || id.Issuer != "https://other.test" {
		t.Fatalf("got %+v, %v; want a valid token of https://other.test", id, err)
	}
	// The first issuer's key cannot sign for the second.
	tok = sign(t, jwt.SigningMethodRS256, rsaKey, kid("rsa-1"), with(goodClaims(), "iss", "https://other.test", "aud", "other-aud"))
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("got %v, want ErrInvalidToken for a key of another issuer", err)
	}
}

func TestSingleKeyWithoutID(t *testing.T) {
	v, err := New(context.Background(), Config{Issuers: []Issuer{{Issuer: testIss, Audiences: []string{testAud}, PublicKeys: map[string][]byte{"": pemOf(t, &rsaKey.PublicKey)}}}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, rsaKey, kid("whatever"), goodClaims())); err != nil {
		t.Fatalf("got %v, want the key without ID to verify a token with any kid", err)
	}
	if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, rsaOther, kid("whatever"), goodClaims())); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("got %v, want ErrInvalidToken for another key", err)
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
		{" Bearer abc.def.ghi", "", ErrMalformedToken},
		{"Bearerabc.def.ghi", "", ErrMalformedToken},
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
	pub := map[string][]byte{"k": pemOf(t, &rsaKey.PublicKey)}
	ok := Issuer{Issuer: "i", Audiences: []string{"a"}, PublicKeys: pub}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"complete", Config{Issuers: []Issuer{ok}}, true},
		{"no issuers", Config{}, false},
		{"no iss", Config{Issuers: []Issuer{{Audiences: []string{"a"}, PublicKeys: pub}}}, false},
		{"no audience", Config{Issuers: []Issuer{{Issuer: "i", PublicKeys: pub}}}, false},
		{"empty audience", Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{""}, PublicKeys: pub}}}, false},
		{"no keys", Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}}}}, false},
		{"duplicate issuer", Config{Issuers: []Issuer{ok, ok}}, false},
		{"HS256 refused", Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: pub, Algorithms: []string{"HS256"}}}}, false},
		{"none refused", Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: pub, Algorithms: []string{"none"}}}}, false},
		{"plain http JWKS refused", Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, JWKSURL: "http://id.example.com/jwks"}}}, false},
		{"leeway too large", Config{Issuers: []Issuer{ok}, Leeway: 6 * time.Minute}, false},
		{"not a key", Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: map[string][]byte{"k": []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")}}}}, false},
		{"RSA 1024 refused", Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: map[string][]byte{"k": pemOf(t, &rsaSmall.PublicKey)}}}}, false},
		{"P-521 refused", Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: map[string][]byte{"k": pemOf(t, &ec521Key.PublicKey)}}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("got error %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// A JWKS URL is checked as a URL: plain http only to a loopback host, and a
// string that merely starts like one (userinfo, look-alike hosts) is refused.
func TestAttackJWKSURLLoopbackPrefix(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://id.example.com/.well-known/jwks.json", true},
		{"http://127.0.0.1:8080/jwks", true},
		{"http://127.0.0.2/jwks", true},
		{"http://localhost/jwks", true},
		{"http://LOCALHOST:9000/jwks", true},
		{"http://[::1]:8080/jwks", true},
		{"http://localhost@evil.example/jwks", false},
		{"http://127.0.0.1@evil.example/jwks", false},
		{"http://localhost.evil.example/jwks", false},
		{"http://127.0.0.1.nip.io/jwks", false},
		{"http://evil.example/jwks#http://localhost", false},
		{"https://user:pass@id.example.com/jwks", false},
		{"HTTP://id.example.com/jwks", false},
		{"ftp://localhost/jwks", false},
		{"https:///jwks", false},
		{"//id.example.com/jwks", false},
		{"https://id.example.com/jwks\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			cfg := Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, JWKSURL: tt.url}}}
			if err := cfg.Validate(); (err == nil) != tt.ok {
				t.Fatalf("got error %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// A claim mapping may not name the context keys of the identity headers: a
// token's own claim would then choose X-User-Id, X-User-Roles, ...
func TestAttackClaimMappingToIdentityKey(t *testing.T) {
	pub := map[string][]byte{"k": pemOf(t, &rsaKey.PublicKey)}
	for _, key := range []string{"id", "ID", "roles", "Roles", "scopes", "tier", "TIER", "email_verified ", "bad name", "", "user_name"} {
		t.Run(key, func(t *testing.T) {
			cfg := Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: pub, ClaimMappings: map[string]string{"c": key}}}}
			if err := cfg.Validate(); err == nil {
				t.Fatalf("mapping to %q: got nil error, want one", key)
			}
		})
	}
	for _, key := range []string{"email", "tenant", "org-id", "Email-Verified"} {
		cfg := Config{Issuers: []Issuer{{Issuer: "i", Audiences: []string{"a"}, PublicKeys: pub, ClaimMappings: map[string]string{"c": key}}}}
		if err := cfg.Validate(); err != nil {
			t.Errorf("mapping to %q: got %v, want it accepted", key, err)
		}
	}
}

// FuzzVerify runs arbitrary tokens through the whole parse-and-decide path: it
// must never panic, and must accept only tokens that carry a valid signature.
func FuzzVerify(f *testing.F) {
	v := newTestVerifier(f)
	good := sign(f, jwt.SigningMethodRS256, rsaKey, kid("rsa-1"), goodClaims())
	f.Add(good)
	f.Add(sign(f, jwt.SigningMethodES256, ecKey, kid("ec-1"), goodClaims()))
	f.Add(sign(f, jwt.SigningMethodEdDSA, edKey, kid("ed-1"), goodClaims()))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add(strings.Repeat(".", 100))
	f.Add("a.b.c")
	b, _ := json.Marshal(map[string]any{"alg": "RS256", "kid": "rsa-1", "crit": []string{"x"}})
	f.Add(base64.RawURLEncoding.EncodeToString(b) + ".e30.sig")
	f.Fuzz(func(t *testing.T, token string) {
		id, err := v.Verify(context.Background(), token)
		if err == nil {
			// Only the seeds signed here can verify; a mutation that still
			// verifies would be a forgery.
			if id.Subject != "user-123" {
				t.Fatalf("accepted a token for %q", id.Subject)
			}
			return
		}
		if !errors.Is(err, ErrMissingToken) && !errors.Is(err, ErrMalformedToken) && !errors.Is(err, ErrTokenExpired) && !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("error %v wraps no sentinel", err)
		}
	})
}
