package provider

import (
	"strings"
	"testing"
)

func TestLimitsDocumentProblem(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":100,"window":"1m"}]}`, ""},
		{`{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":100,"window":"2 minutes"}]}`, `rule 0 ("ip"): window "2 minutes"`},
		{`{"version":1,"rules":[{"name":"s","dimension":"endpoint","requests":10,"window":"1m"}]}`, "needs a Route"},
		{`{"version":1,"rules":[{"name":"t","dimension":"tier","tier":"free","requests":-1,"window":"1h"}]}`, "Requests -1"},
		{`{"rules":[]}`, "version 0: want 1"},
	}
	for _, tt := range tests {
		got := limitsDocumentProblem(tt.doc)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("limitsDocumentProblem(%s) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}
