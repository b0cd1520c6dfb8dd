package authorizer

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, doc, want string // want: "" for valid, else a substring of the error
	}{
		{"discovery by URL", `{"issuers": [{"issuer": "https://id.example.com/realms/portico", "audiences": ["portico"], "rolesClaim": "realm_access.roles",
			"claimMappings": {"https://portico.dev/tenant": "tenant"}}]}`, ""},
		{"a loopback issuer", `{"issuers": [{"issuer": "http://127.0.0.1:18088", "audiences": ["portico"]}]}`, ""},
		{"discovery needs https", `{"issuers": [{"issuer": "http://id.example.com", "audiences": ["portico"]}]}`, "must be https"},
		{"an issuer that is no URL needs keys", `{"issuers": [{"issuer": "portico", "audiences": ["portico"]}]}`, "OpenID Connect discovery"},
		{"a bad claim path", `{"issuers": [{"issuer": "https://i.example", "audiences": ["a"], "tierClaim": "a..b"}]}`, `claim "a..b"`},
		{"a bad key", `{"issuers": [{"issuer": "https://i.example", "audiences": ["a"], "publicKeys": {"k": "x"}}]}`, `public key "k"`},
		{"an unknown field", `{"issuers": [], "issuer": "x"}`, "unknown field"},
	}
	for _, tt := range tests {
		_, err := Check([]byte(tt.doc))
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestMapsClaim(t *testing.T) {
	s, err := Check([]byte(`{"issuers": [{"issuer": "https://i.example", "audiences": ["a"], "claimMappings": {"https://portico.dev/tenant": "Tenant"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !s.MapsClaim("tenant") || s.MapsClaim("org") {
		t.Fatalf("got tenant %v org %v, want true and false", s.MapsClaim("tenant"), s.MapsClaim("org"))
	}
}
