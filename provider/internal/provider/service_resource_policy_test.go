package provider

import (
	"strings"
	"testing"
)

// The policy is validated at plan time with the mesh's own rules, and the
// messages say what is wrong and where.
func TestServicePolicyValidation(t *testing.T) {
	s := resourceSchema(t, NewServiceResource())
	tests := []struct {
		name, policy, want string // want: "" when valid, else a substring of the error
	}{
		{"canary", `{"versions":[{"version":"v1","weight":95},{"version":"v2","weight":5}],"routes":[{"header":"X-Test-User","value":"true","version":"v2"}]}`, ""},
		{"jsonencode output with defaults", `{"retry":{"attempts":3,"perTryTimeout":"2s"}}`, ""},
		{"weights sum to 105", `{"versions":[{"version":"v1","weight":95},{"version":"v2","weight":10}]}`, "versions: weights sum to 105, want 100"},
		{"misspelt field", `{"versions":[{"version":"v1","weigth":100}]}`, `unknown field "weigth"`},
		{"string for a number", `{"versions":[{"version":"v1","weight":"100"}]}`, "versions.weight: got a JSON string, want int"},
		{"not JSON", "{\n  versions: []\n}", "not valid JSON at line 2, column 3"},
		{"fault abort without status", `{"fault":{"abortPercent":5}}`, "fault: abortStatus 0 is not within 200..599"},
		{"unknown balancer", `{"loadBalancer":"random"}`, `loadBalancer "random" is not "least_request" or "round_robin"`},
		{"too long for Cloud Map", `{"routes":[` + strings.Repeat(`{"header":"X-Tenant","value":"`+strings.Repeat("t", 900)+`","version":"v2"},`, 20) + `{"header":"X","value":"y","version":"v2"}]}`, "more than the 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := validateString(t, s, "policy", tt.policy)
			switch {
			case tt.want == "" && diags.HasError():
				t.Fatalf("got %s, want no error", errorText(diags))
			case tt.want != "" && !strings.Contains(errorText(diags), tt.want):
				t.Fatalf("got %q, want an error containing %q", errorText(diags), tt.want)
			}
		})
	}
}
