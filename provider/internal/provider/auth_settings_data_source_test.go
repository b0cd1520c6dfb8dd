package provider

import (
	"strings"
	"testing"
)

func TestAuthSettingsProblem(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"issuers": [{"issuer": "https://id.example.com/realms/portico", "audiences": ["portico"], "rolesClaim": "realm_access.roles"}]}`, ""},
		{`{"issuers": [{"issuer": "http://id.example.com", "audiences": ["portico"]}]}`, "must be https"},
		{`{"issuers": [{"issuer": "https://i.example", "audiences": ["a"], "publicKeys": {"k": "nope"}}]}`, `public key "k": no PEM block`},
		{`{"issuers": [{"issuer": "https://i.example", "audiences": ["a"], "claimMappings": {"sub": "id"}}]}`, "identity header"},
		{`{"issuers": [{"issuer": "https://i.example", "audiences": ["a"]}], "cacheTtlSeconds": 7200}`, "cacheTtlSeconds 7200"},
		{`{"issuers": [{"issuer": "https://i.example", "audience": ["a"]}]}`, "unknown field"},
	}
	for _, tt := range tests {
		got := authSettingsProblem(tt.doc)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("authSettingsProblem(%s) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}
