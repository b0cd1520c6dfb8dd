package authorizer

import (
	"fmt"
	"strings"

	"github.com/portico-gw/portico/internal/auth"
)

// Check reads a settings document as ParseSettings does and also checks what
// the authorizer would refuse at its cold start: the issuers (audiences,
// algorithms, key sources, claim mappings, JWKS and issuer URLs) and every
// static public key. It makes no network call, so the provider and the
// portico command use it at plan time.
func Check(doc []byte) (Settings, error) {
	s, err := ParseSettings(doc)
	if err != nil {
		return Settings{}, err
	}
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Validate reports settings the authorizer could not start with.
func (s Settings) Validate() error {
	if err := s.AuthConfig().Validate(); err != nil {
		return fmt.Errorf("authorizer: settings: %w", err)
	}
	for _, is := range s.Issuers {
		for kid, pem := range is.PublicKeys {
			if _, err := auth.ParsePublicKey([]byte(pem)); err != nil {
				return fmt.Errorf("authorizer: settings: issuer %q: public key %q: %w", is.Issuer, kid, err)
			}
		}
	}
	return nil
}

// MapsClaim reports whether some issuer maps a claim to the context key name
// (compared without case): only such a claim reaches the gateway, as
// X-User-<name> and for the limits that count per claim.
func (s Settings) MapsClaim(name string) bool {
	for _, is := range s.Issuers {
		for _, key := range is.ClaimMappings {
			if strings.EqualFold(key, name) {
				return true
			}
		}
	}
	return false
}
