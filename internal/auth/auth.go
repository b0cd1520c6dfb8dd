package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
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
	// ErrInvalidToken: signature, algorithm, key, issuer, audience, nbf, iat or
	// a required claim is wrong.
	ErrInvalidToken = errors.New("auth: invalid token")
)

// Algorithms a Verifier can be configured to accept.
var supportedAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"}

// Issuer says whose tokens are accepted and how to check them.
type Issuer struct {
	// Issuer is the exact iss claim. Required.
	Issuer string
	// Audiences: the aud claim must contain at least one. Required.
	Audiences []string
	// Algorithms allowed for this issuer. Default ["RS256"].
	Algorithms []string
	// PublicKeys are PEM public keys ("PUBLIC KEY", or "RSA PUBLIC KEY"), keyed
	// by kid. A token whose header names a kid must match one (or, for an issuer
	// without JWKSURL, the key with the empty ID, if there is one); a token
	// without kid is checked against every static key.
	PublicKeys map[string][]byte
	// JWKSURL is an https URL of the issuer's JSON Web Key Set. Optional.
	// An issuer with neither PublicKeys nor JWKSURL is configured by its URL
	// alone: OpenID Connect discovery (discovery.go) finds its JWKS.
	JWKSURL string
	// RolesClaim names the claim with the caller's roles (JSON array of strings,
	// or a space- or comma-separated string). Default "roles". Every claim
	// name here may be a path into nested claims, such as
	// "realm_access.roles" (claims.go).
	RolesClaim string
	// ScopesClaim names the claim with the caller's scopes. Default "scope".
	ScopesClaim string
	// TierClaim names the claim with the caller's subscription tier. Default "tier".
	TierClaim string
	// ClaimMappings copies further claims into Identity.Claims: claim name (or
	// path) → context key. Only string, number and boolean claims are copied.
	ClaimMappings map[string]string
}

// JWKSOptions tune JWKS fetching for every issuer with a JWKSURL.
type JWKSOptions struct {
	// RefreshInterval between background refreshes. Default 1h.
	RefreshInterval time.Duration
	// UnknownKIDInterval is the least time between two refreshes caused by an
	// unknown kid. Default 5m.
	UnknownKIDInterval time.Duration
	// HTTPTimeout bounds one JWKS fetch. Default 2s.
	HTTPTimeout time.Duration
	// Client fetches the JWKS. Default a client with HTTPTimeout.
	Client *http.Client
}

// Config configures a Verifier.
type Config struct {
	// Issuers whose tokens are accepted. At least one.
	Issuers []Issuer
	// Leeway is the clock skew tolerated on exp, nbf and iat. Default 30s, at most 5m.
	Leeway time.Duration
	// JWKS tunes JWKS fetching.
	JWKS JWKSOptions
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if len(c.Issuers) == 0 {
		return errors.New("auth: config: at least one issuer is required")
	}
	if c.Leeway < 0 || c.Leeway > 5*time.Minute {
		return fmt.Errorf("auth: config: leeway %s: want between 0 and 5m", c.Leeway)
	}
	seen := map[string]bool{}
	for i, is := range c.Issuers {
		switch {
		case is.Issuer == "":
			return fmt.Errorf("auth: config: issuer %d: iss is required", i)
		case seen[is.Issuer]:
			return fmt.Errorf("auth: config: issuer %q appears twice", is.Issuer)
		case len(is.Audiences) == 0 || slices.Contains(is.Audiences, ""):
			return fmt.Errorf("auth: config: issuer %q: at least one non-empty audience is required", is.Issuer)
		}
		if err := is.checkSources(); err != nil {
			return fmt.Errorf("auth: config: issuer %q: %w", is.Issuer, err)
		}
		seen[is.Issuer] = true
		for _, alg := range is.Algorithms {
			if !slices.Contains(supportedAlgorithms, alg) {
				return fmt.Errorf("auth: config: issuer %q: algorithm %q is not allowed; want one of %s", is.Issuer, alg, strings.Join(supportedAlgorithms, ", "))
			}
		}
		if is.JWKSURL != "" {
			if err := checkKeysURL(is.JWKSURL); err != nil {
				return fmt.Errorf("auth: config: issuer %q: JWKS URL %q: %w", is.Issuer, is.JWKSURL, err)
			}
		}
		for claim, key := range is.ClaimMappings {
			if err := checkClaimPath(claim); err != nil {
				return fmt.Errorf("auth: config: issuer %q: claim mapping: %w", is.Issuer, err)
			}
			if err := checkClaimKey(key); err != nil {
				return fmt.Errorf("auth: config: issuer %q: claim mapping %q → %q: %w", is.Issuer, claim, key, err)
			}
		}
	}
	return nil
}

// checkKeysURL accepts an https URL with a host, or a plain http one whose
// host is loopback (localhost, 127.0.0.0/8, ::1). It parses the URL: a
// string that only starts like a loopback URL (http://localhost@evil.example,
// http://localhost.evil.example) is refused, as is any userinfo.
func checkKeysURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("not a URL: %w", err)
	case u.User != nil:
		return errors.New("must not carry a user or password")
	case u.Hostname() == "" || u.Opaque != "":
		return errors.New("must name a host")
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return errors.New("must be https (plain http only to a loopback host)")
	}
	return fmt.Errorf("scheme %q: want https", u.Scheme)
}

// loopback reports whether host is localhost or a loopback IP address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// checkClaimKey accepts a claim mapping's context key: the suffix of the
// X-User-<key> header it travels in, so letters, digits and '-', and not one
// of the identity's own (ReservedClaimKey).
func checkClaimKey(key string) error {
	if key == "" || len(key) > 64 {
		return errors.New("want 1 to 64 letters, digits or '-'")
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("want letters, digits or '-' (it names the header X-User-%s)", key)
		}
	}
	if ReservedClaimKey(key) {
		return fmt.Errorf("X-User-%s is an identity header the gateway sets itself; map the claim to another key", key)
	}
	return nil
}

// Identity is who a valid token says the caller is.
type Identity struct {
	// Issuer is the iss claim.
	Issuer string
	// Subject is the sub claim: the user ID.
	Subject string
	// Roles from the issuer's roles claim, possibly empty.
	Roles []string
	// Scopes from the issuer's scopes claim, possibly empty.
	Scopes []string
	// Tier from the issuer's tier claim, possibly empty.
	Tier string
	// ExpiresAt is the exp claim.
	ExpiresAt time.Time
	// Claims are the mapped claims (context key → value as a string).
	Claims map[string]string

	context map[string]any // built once by a Cache; see Context
	jwksKid string         // kid of the JWKS key that verified the token, if any
}

// issuer is a configured Issuer, ready to check tokens.
type issuer struct {
	Issuer
	static map[string]crypto.PublicKey
	jwks   keySource // nil without JWKSURL
}

// keySource finds a key by kid; the JWKS implementation may refresh.
type keySource interface {
	Key(ctx context.Context, kid, alg string) (crypto.PublicKey, error)
	Has(ctx context.Context, kid string) bool
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	issuers map[string]*issuer
	parser  *jwt.Parser
	leeway  time.Duration
	now     func() time.Time
}

// New returns a Verifier for cfg. JWKS sets are fetched once here (a failure
// is not fatal: keys are fetched again on the first unknown kid) and refreshed
// in the background until ctx ends.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := &Verifier{issuers: map[string]*issuer{}, leeway: cfg.Leeway, now: cfg.Now}
	if v.leeway == 0 {
		v.leeway = 30 * time.Second
	}
	if v.now == nil {
		v.now = time.Now
	}
	var algs []string
	for _, c := range cfg.Issuers {
		is := &issuer{Issuer: c, static: map[string]crypto.PublicKey{}}
		if len(is.Algorithms) == 0 {
			is.Algorithms = []string{"RS256"}
		}
		if is.RolesClaim == "" {
			is.RolesClaim = "roles"
		}
		if is.ScopesClaim == "" {
			is.ScopesClaim = "scope"
		}
		if is.TierClaim == "" {
			is.TierClaim = "tier"
		}
		for kid, pemBytes := range c.PublicKeys {
			key, err := ParsePublicKey(pemBytes)
			if err != nil {
				return nil, fmt.Errorf("auth: config: issuer %q: key %q: %w", c.Issuer, kid, err)
			}
			is.static[kid] = key
		}
		switch {
		case c.JWKSURL != "":
			src, err := newJWKS(ctx, c.JWKSURL, cfg.JWKS)
			if err != nil {
				return nil, fmt.Errorf("auth: config: issuer %q: %w", c.Issuer, err)
			}
			is.jwks = src
		case len(c.PublicKeys) == 0:
			is.jwks = newDiscovered(ctx, c.Issuer, cfg.JWKS, v.now)
		}
		for _, a := range is.Algorithms {
			if !slices.Contains(algs, a) {
				algs = append(algs, a)
			}
		}
		v.issuers[c.Issuer] = is
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(v.now),
	)
	return v, nil
}

// forbiddenHeaders are JOSE headers that would let a token choose its own key
// or demand processing we do not do.
var forbiddenHeaders = []string{"crit", "jku", "x5u", "x5c", "jwk"}

// Verify checks a raw token (without the "Bearer " prefix). ctx bounds any
// JWKS refresh the token causes.
func (v *Verifier) Verify(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrMissingToken
	}
	if len(token) > MaxTokenBytes {
		return Identity{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformedToken, len(token), MaxTokenBytes)
	}
	if strings.Count(token, ".") != 2 {
		return Identity{}, fmt.Errorf("%w: want three dot-separated parts", ErrMalformedToken)
	}
	var is *issuer
	var fromJWKS string // the kid, when a JWKS key verified the token
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		for _, h := range forbiddenHeaders {
			if _, ok := t.Header[h]; ok {
				return nil, fmt.Errorf("header %q is not accepted", h)
			}
		}
		iss, _ := claims["iss"].(string)
		is = v.issuers[iss]
		if is == nil {
			return nil, fmt.Errorf("issuer %q is not trusted", iss)
		}
		if !slices.Contains(is.Algorithms, t.Method.Alg()) {
			return nil, fmt.Errorf("algorithm %s is not allowed for issuer %q", t.Method.Alg(), iss)
		}
		key, jwksKid, err := is.key(ctx, t)
		fromJWKS = jwksKid
		return key, err
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, fmt.Errorf("%w: %w", ErrTokenExpired, err)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return Identity{}, fmt.Errorf("%w: %w", ErrMalformedToken, err)
	default:
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	id, err := is.identity(claims)
	if err == nil && fromJWKS != "" {
		id.jwksKid = fromJWKS
	}
	return id, err
}

// StillTrusted reports whether the key that verified id is still in its
// issuer's key set: false once a JWKS refresh has removed (revoked) it. A
// Cache asks on every hit, so a revoked key stops cached decisions at once.
func (v *Verifier) StillTrusted(ctx context.Context, id Identity) bool {
	if id.jwksKid == "" {
		return true // static keys change only with the configuration
	}
	is := v.issuers[id.Issuer]
	if is == nil || is.jwks == nil {
		return false
	}
	return is.jwks.Has(ctx, id.jwksKid)
}

// key returns the verification key(s) for t, and the kid when the key came
// from the JWKS.
func (is *issuer) key(ctx context.Context, t *jwt.Token) (any, string, error) {
	kidValue, hasKid := t.Header["kid"]
	kid, ok := kidValue.(string)
	if hasKid && !ok {
		return nil, "", errors.New("kid header is not a string")
	}
	if !hasKid {
		if len(is.static) == 0 {
			return nil, "", errors.New("token has no kid and the issuer has no static keys")
		}
		set := jwt.VerificationKeySet{}
		for _, k := range is.static {
			set.Keys = append(set.Keys, k)
		}
		return set, "", nil
	}
	if k, ok := is.static[kid]; ok {
		return k, "", nil
	}
	if is.jwks == nil {
		// A single static key configured without an ID verifies tokens whatever
		// kid they name: the signature still has to match it.
		if k, ok := is.static[""]; ok {
			return k, "", nil
		}
		return nil, "", fmt.Errorf("unknown kid %q", kid)
	}
	k, err := is.jwks.Key(ctx, kid, t.Method.Alg())
	return k, kid, err
}

// identity builds the Identity from verified claims.
func (is *issuer) identity(c jwt.MapClaims) (Identity, error) {
	sub, err := c.GetSubject()
	if err != nil || sub == "" {
		return Identity{}, fmt.Errorf("%w: sub claim is required", ErrInvalidToken)
	}
	aud, err := c.GetAudience()
	if err != nil {
		return Identity{}, fmt.Errorf("%w: aud: %w", ErrMalformedToken, err)
	}
	if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(is.Audiences, a) }) {
		return Identity{}, fmt.Errorf("%w: audience %q is not accepted", ErrInvalidToken, aud)
	}
	exp, err := c.GetExpirationTime()
	if err != nil || exp == nil {
		return Identity{}, fmt.Errorf("%w: exp claim is required", ErrInvalidToken)
	}
	id := Identity{Issuer: is.Issuer.Issuer, Subject: sub, ExpiresAt: exp.Time}
	if id.Roles, err = stringList(claim(c, is.RolesClaim)); err != nil {
		return Identity{}, fmt.Errorf("%w: claim %q: %w", ErrInvalidToken, is.RolesClaim, err)
	}
	if id.Scopes, err = stringList(claim(c, is.ScopesClaim)); err != nil {
		return Identity{}, fmt.Errorf("%w: claim %q: %w", ErrInvalidToken, is.ScopesClaim, err)
	}
	if t, ok := claimAt(c, is.TierClaim); ok {
		if id.Tier, ok = t.(string); !ok {
			return Identity{}, fmt.Errorf("%w: claim %q is not a string", ErrInvalidToken, is.TierClaim)
		}
	}
	for name, key := range is.ClaimMappings {
		switch val := claim(c, name).(type) {
		case string:
			id.Claims = setClaim(id.Claims, key, val)
		case float64, bool:
			id.Claims = setClaim(id.Claims, key, fmt.Sprint(val))
		}
	}
	return id, nil
}

// claim is the value at path in c, nil when there is none.
func claim(c jwt.MapClaims, path string) any {
	v, _ := claimAt(c, path)
	return v
}

func setClaim(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// stringList reads a claim that is a JSON array of strings or a space- or
// comma-separated string. A missing claim is an empty list.
func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		return strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == ',' }), nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok || s == "" || strings.Contains(s, ",") {
				return nil, errors.New("want an array of non-empty strings without commas")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errors.New("want an array of strings or a space-separated string")
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
