package authorizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/portico-gw/portico/internal/auth"
)

// Settings is the authorizer's configuration document, which the Terraform
// configuration writes (portico_auth_settings, item config#auth of the state
// table; or the environment variable PORTICO_AUTH_CONFIG):
//
//	{
//	  "issuers": [{
//	    "issuer": "https://id.example.com/",
//	    "audiences": ["portico"],
//	    "algorithms": ["RS256", "ES256"],
//	    "publicKeys": {"key-1": "-----BEGIN PUBLIC KEY-----\n..."},
//	    "jwksUrl": "https://id.example.com/.well-known/jwks.json",
//	    "rolesClaim": "roles", "scopesClaim": "scope", "tierClaim": "tier",
//	    "claimMappings": {"email": "email"}
//	  }],
//	  "leewaySeconds": 30,
//	  "cacheTtlSeconds": 60,
//	  "v2Response": "simple"
//	}
//
// An issuer with neither publicKeys nor jwksUrl is configured by its URL
// alone, {"issuer": "https://id.example.com/realms/portico", "audiences":
// [...]}: OpenID Connect discovery finds its JWKS (package auth). The claim
// names (rolesClaim, scopesClaim, tierClaim and the keys of claimMappings)
// may be paths into nested claims: "realm_access.roles",
// "resource_access.portico.roles", "https://example.com/tenant". Check
// validates a document offline.
type Settings struct {
	Issuers         []IssuerSettings `json:"issuers"`
	LeewaySeconds   int              `json:"leewaySeconds,omitempty"`
	CacheTTLSeconds int              `json:"cacheTtlSeconds,omitempty"`
	// V2Response is "simple" (default) or "iam", for HTTP API v2 events.
	V2Response string `json:"v2Response,omitempty"`
}

// IssuerSettings is one trusted issuer; see auth.Issuer.
type IssuerSettings struct {
	Issuer        string            `json:"issuer"`
	Audiences     []string          `json:"audiences"`
	Algorithms    []string          `json:"algorithms,omitempty"`
	PublicKeys    map[string]string `json:"publicKeys,omitempty"`
	JWKSURL       string            `json:"jwksUrl,omitempty"`
	RolesClaim    string            `json:"rolesClaim,omitempty"`
	ScopesClaim   string            `json:"scopesClaim,omitempty"`
	TierClaim     string            `json:"tierClaim,omitempty"`
	ClaimMappings map[string]string `json:"claimMappings,omitempty"`
}

// ParseSettings reads a settings document strictly: unknown fields are errors,
// so a misspelt option is not silently ignored.
func ParseSettings(doc []byte) (Settings, error) {
	var s Settings
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Settings{}, fmt.Errorf("authorizer: settings: %w", err)
	}
	if dec.More() {
		return Settings{}, fmt.Errorf("authorizer: settings: trailing data after the document")
	}
	if s.V2Response != "" && s.V2Response != "simple" && s.V2Response != "iam" {
		return Settings{}, fmt.Errorf("authorizer: settings: v2Response %q: want simple or iam", s.V2Response)
	}
	if s.CacheTTLSeconds < 0 || s.CacheTTLSeconds > 3600 {
		return Settings{}, fmt.Errorf("authorizer: settings: cacheTtlSeconds %d: want 0 to 3600", s.CacheTTLSeconds)
	}
	return s, nil
}

// AuthConfig converts the settings to an auth.Config.
func (s Settings) AuthConfig() auth.Config {
	c := auth.Config{Leeway: time.Duration(s.LeewaySeconds) * time.Second}
	for _, is := range s.Issuers {
		keys := map[string][]byte{}
		for kid, pem := range is.PublicKeys {
			keys[kid] = []byte(pem)
		}
		c.Issuers = append(c.Issuers, auth.Issuer{
			Issuer: is.Issuer, Audiences: is.Audiences, Algorithms: is.Algorithms,
			PublicKeys: keys, JWKSURL: is.JWKSURL,
			RolesClaim: is.RolesClaim, ScopesClaim: is.ScopesClaim, TierClaim: is.TierClaim,
			ClaimMappings: is.ClaimMappings,
		})
	}
	return c
}
