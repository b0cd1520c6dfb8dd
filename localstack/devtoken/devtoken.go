// Package devtoken makes the local environment's signing key and mints demo
// tokens with it. It is for development and tests only: production tokens come
// from an identity provider.
package devtoken

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// GenerateKey returns a new RSA-2048 key as PKCS#8 private and PKIX public PEM.
func GenerateKey() (privPEM, pubPEM []byte, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("devtoken: generate key: %w", err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, fmt.Errorf("devtoken: marshal private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("devtoken: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

// Claims are what a demo token says.
type Claims struct {
	Subject  string
	Roles    []string
	Issuer   string
	Audience string
	KeyID    string
	// TTL is the lifetime from now; negative mints an expired token.
	TTL time.Duration
	// Extra claims, such as scope, tier or email.
	Extra map[string]any
}

// Mint signs c with the RSA private key in privPEM (RS256).
func Mint(privPEM []byte, c Claims) (string, error) {
	if c.Subject == "" || c.Issuer == "" || c.Audience == "" {
		return "", errors.New("devtoken: subject, issuer and audience are required")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(privPEM)
	if err != nil {
		return "", fmt.Errorf("devtoken: parse private key: %w", err)
	}
	now := time.Now()
	claims := jwt.MapClaims{}
	for k, v := range c.Extra {
		claims[k] = v
	}
	claims["sub"], claims["iss"], claims["aud"] = c.Subject, c.Issuer, c.Audience
	claims["roles"] = c.Roles
	claims["iat"] = now.Add(min(c.TTL, 0) - time.Minute).Unix()
	claims["exp"] = now.Add(c.TTL).Unix()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if c.KeyID != "" {
		tok.Header["kid"] = c.KeyID
	}
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("devtoken: sign: %w", err)
	}
	return s, nil
}
