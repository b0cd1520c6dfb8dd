// Package auth verifies the bearer tokens that clients present to Portico.
//
// A Verifier checks an RS256 JSON Web Token against one configured public key:
// signature, algorithm, expiry (required), not-before, issued-at, issuer and
// audience. It returns the caller's Identity, which the authorizer function hands
// to API Gateway as context and the aggregator turns into X-User-ID and
// X-User-Roles headers.
package auth

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenBytes bounds the size of a token accepted for parsing.
const MaxTokenBytes = 8 << 10

// Sentinel errors. Every error Verify returns wraps exactly one of them, so a
// caller can map them to a response without reading messages.
var (
	// ErrMissingToken: no Authorization header, or an empty one.
	ErrMissingToken = errors.New("auth: missing token")
	// ErrMalformedToken: not "Bearer <jwt>", too large, or not a JWT at all.
	ErrMalformedToken = errors.New("auth: malformed token")
	// ErrTokenExpired: the token's exp has passed (beyond the leeway).
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrInvalidToken: signature, algorithm, issuer, audience, nbf or a
	// required claim is wrong.
	ErrInvalidToken = errors.New("auth: invalid token")
)

// Config configures a Verifier.
type Config struct {
	// PublicKeyPEM is the RSA public key (PKIX "PUBLIC KEY" or PKCS#1 "RSA
	// PUBLIC KEY" PEM) whose private half signs the tokens.
	PublicKeyPEM []byte
	// Issuer is the required value of the iss claim. Required.
	Issuer string
	// Audience is a value the aud claim must contain. Required.
	Audience string
	// Leeway is the clock skew tolerated on exp, nbf and iat. Default 30s, at most 5m.
	Leeway time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Validate reports a configuration that cannot verify anything.
func (c Config) Validate() error {
	switch {
	case len(c.PublicKeyPEM) == 0:
		return errors.New("auth: config: PublicKeyPEM is required")
	case c.Issuer == "":
		return errors.New("auth: config: Issuer is required")
	case c.Audience == "":
		return errors.New("auth: config: Audience is required")
	case c.Leeway < 0 || c.Leeway > 5*time.Minute:
		return fmt.Errorf("auth: config: Leeway %s: want between 0 and 5m", c.Leeway)
	}
	return nil
}

// Identity is who a valid token says the caller is.
type Identity struct {
	// Subject is the sub claim: the user ID.
	Subject string
	// Roles is the roles claim (a JSON array of strings), possibly empty.
	Roles []string
	// ExpiresAt is the exp claim.
	ExpiresAt time.Time
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	key    *rsa.PublicKey
	parser *jwt.Parser
}

// New returns a Verifier for cfg.
func New(cfg Config) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	key, err := jwt.ParseRSAPublicKeyFromPEM(cfg.PublicKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("auth: config: parse public key: %w", err)
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = 30 * time.Second
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(leeway),
		jwt.WithStrictDecoding(),
	}
	if cfg.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(cfg.Now))
	}
	return &Verifier{key: key, parser: jwt.NewParser(opts...)}, nil
}

// claims are the registered claims plus Portico's roles claim.
type claims struct {
	jwt.RegisteredClaims
	Roles []string `json:"roles,omitempty"`
}

// Verify checks a raw token (without the "Bearer " prefix).
func (v *Verifier) Verify(token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrMissingToken
	}
	if len(token) > MaxTokenBytes {
		return Identity{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformedToken, len(token), MaxTokenBytes)
	}
	if strings.Count(token, ".") != 2 {
		return Identity{}, fmt.Errorf("%w: want three dot-separated parts", ErrMalformedToken)
	}
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, v.keyFor)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, fmt.Errorf("%w: %w", ErrTokenExpired, err)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return Identity{}, fmt.Errorf("%w: %w", ErrMalformedToken, err)
	default:
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.Subject == "" {
		return Identity{}, fmt.Errorf("%w: sub claim is required", ErrInvalidToken)
	}
	return Identity{Subject: c.Subject, Roles: c.Roles, ExpiresAt: c.ExpiresAt.Time}, nil
}

// keyFor returns the verification key after checking the header: no critical
// extensions (RFC 7515 §4.1.11; golang-jwt does not check crit) and no
// key-carrying headers, which are never trusted.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	for _, h := range []string{"crit", "jku", "x5u", "jwk", "x5c"} {
		if _, ok := t.Header[h]; ok {
			return nil, fmt.Errorf("header %q is not accepted", h)
		}
	}
	return v.key, nil
}

// BearerToken extracts the token from an Authorization header value. The scheme
// is case-insensitive and must be followed by exactly one space.
func BearerToken(header string) (string, error) {
	if header == "" {
		return "", ErrMissingToken
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: want \"Bearer <token>\"", ErrMalformedToken)
	}
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return "", fmt.Errorf("%w: want \"Bearer <token>\" with a single space", ErrMalformedToken)
	}
	return token, nil
}

// The context keys keep the authorizer and the aggregator in
// agreement about how an Identity travels through API Gateway's authorizer context,
// which only carries strings, numbers and booleans.
const (
	ContextUserID    = "userId"
	ContextRoles     = "roles"
	ContextExpiresAt = "exp"
)

// Context returns the authorizer context for id.
func (id Identity) Context() map[string]any {
	return map[string]any{
		ContextUserID:    id.Subject,
		ContextRoles:     strings.Join(id.Roles, ","),
		ContextExpiresAt: id.ExpiresAt.Unix(),
	}
}
