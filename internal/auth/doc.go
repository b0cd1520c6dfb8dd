// Package auth verifies the bearer tokens that clients present to Portico.
//
// A Verifier accepts JSON Web Tokens from one or more issuers. Each issuer has
// its own audiences, its own allowed algorithms (RS256 by default; RS384/512,
// PS256/384/512, ES256/384 and EdDSA on request; never "none" and never an HMAC
// algorithm) and its own keys: static PEM public keys (RSA, ECDSA P-256/P-384,
// Ed25519) and/or a JWKS URL, fetched with MicahParks/keyfunc and jwkset, cached
// for the life of the process, refreshed on an interval and on an unknown kid
// at most once per window, and kept when the JWKS endpoint is down.
//
// Rules: exp is required; nbf and iat are checked with a leeway (default 30s,
// at most 5m); iss must be a configured issuer and aud must contain one of its
// audiences; tokens over 8 KiB are refused before parsing; a crit header is
// refused (RFC 7515 §4.1.11), and jku, x5u, x5c and embedded jwk headers are
// refused rather than ignored; base64 must be strict.
//
// A valid token yields an Identity (subject, roles, scopes, tier, expiry and
// mapped claims), which the authorizer function passes to API Gateway as
// context. Verify answers errors wrapping ErrMissingToken, ErrMalformedToken,
// ErrTokenExpired or ErrInvalidToken.
package auth
