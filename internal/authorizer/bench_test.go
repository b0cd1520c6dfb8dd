package authorizer

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"github.com/portico-gw/portico/internal/auth"
)

// benchSetup returns a valid RS256 token, its public key and a verifier for it.
func benchSetup(b *testing.B) (string, *rsa.PublicKey, *auth.Verifier) {
	b.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"sub": "user-123", "iss": "https://issuer.test", "aud": "portico",
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "roles": []string{"admin", "reader"},
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(key)
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	v, err := auth.New(context.Background(), auth.Config{Issuers: []auth.Issuer{{
		Issuer: "https://issuer.test", Audiences: []string{"portico"},
		PublicKeys: map[string][]byte{"k1": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})},
	}}})
	if err != nil {
		b.Fatal(err)
	}
	return s, &key.PublicKey, v
}

// BenchmarkBareJWTParse is the baseline: golang-jwt's Parse of the same token
// with the key at hand and the same checks (RS256 only, exp required).
func BenchmarkBareJWTParse(b *testing.B) {
	tok, pub, _ := benchSetup(b)
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired())
	keyFunc := func(*jwt.Token) (any, error) { return pub, nil }
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Parse(tok, keyFunc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerWarm is the whole warm REQUEST-authorizer decision without
// the decision cache: header parsing, verification, policy and context.
func BenchmarkHandlerWarm(b *testing.B) {
	tok, _, v := benchSetup(b)
	h, _ := New(Config{Verifier: v})
	ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1/GET/api/v1/users/123",
		Headers: map[string]string{"Authorization": "Bearer " + tok},
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := h.HandleRequest(ctx, ev)
		if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerCacheHit is the same decision for a token seen before.
func BenchmarkHandlerCacheHit(b *testing.B) {
	tok, _, v := benchSetup(b)
	c, _ := auth.NewCache(v, auth.CacheConfig{})
	h, _ := New(Config{Verifier: c})
	ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1/GET/api/v1/users/123",
		Headers: map[string]string{"Authorization": "Bearer " + tok},
	}
	ctx := context.Background()
	if _, err := h.HandleRequest(ctx, ev); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := h.HandleRequest(ctx, ev)
		if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
			b.Fatal(err)
		}
	}
}
