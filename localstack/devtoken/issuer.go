package devtoken

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
)

// Issuer is a small OpenID Connect issuer for the demo and the tests: it
// serves the discovery document and the JWK Set of one RSA signing key, so
// that the authorizer can be configured by the issuer's URL alone. It issues
// no tokens itself; Mint signs them with the matching private key.
type Issuer struct {
	// URL is the issuer identifier, the iss of its tokens, such as
	// http://127.0.0.1:18089 (the authorizer fetches plain http only from a
	// loopback host).
	URL string
	// KeyID is the kid of the key in the JWK Set, and of the tokens.
	KeyID string
	// PublicKey is the signing key's public half (PEM, PKIX).
	PublicKey []byte
}

// Handler serves /.well-known/openid-configuration and /jwks.json.
func (is Issuer) Handler() (http.Handler, error) {
	if is.URL == "" || strings.HasSuffix(is.URL, "/") || is.KeyID == "" {
		return nil, errors.New("devtoken: issuer: URL (without a trailing slash) and KeyID are required")
	}
	block, _ := pem.Decode(is.PublicKey)
	if block == nil {
		return nil, errors.New("devtoken: issuer: no PEM public key")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("devtoken: issuer: %w", err)
	}
	rsaKey, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("devtoken: issuer: %T is not an RSA key", k)
	}
	discovery, _ := json.Marshal(map[string]any{
		"issuer":                                is.URL,
		"jwks_uri":                              is.URL + "/jwks.json",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": is.KeyID, "alg": "RS256", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(rsaKey.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(rsaKey.E)).Bytes()),
	}}})
	mux := http.NewServeMux()
	serve := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "max-age=300")
			w.Write(body)
		}
	}
	mux.Handle("GET /.well-known/openid-configuration", serve(discovery))
	mux.Handle("GET /jwks.json", serve(jwks))
	return mux, nil
}
