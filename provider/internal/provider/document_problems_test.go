package provider

import (
	"strings"
	"testing"
)

// problemStrings joins problems for messages.
func problemStrings(problems []problem) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = p.String()
	}
	return out
}

// checkProblems fails unless problems are exactly one per want, in order,
// each containing its want.
func checkProblems(t *testing.T, problems []problem, want []string) {
	t.Helper()
	got := problemStrings(problems)
	if len(got) != len(want) {
		t.Fatalf("got %d problems %q, want %d containing %q", len(got), got, len(want), want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d: got %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

func TestRouteDocumentProblems(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string // nil: valid
	}{
		{"valid", `{"version":1,"routes":[{"id":"a","match":{"pathPrefix":"/a"},"service":"a"}]}`, nil},
		{"one bad route of three", `{"version":1,"routes":[
			{"id":"a","match":{"pathPrefix":"/a"},"service":"a"},
			{"id":"b","match":{"pathPrefix":"/b","path":"/b"},"service":"b"},
			{"id":"c","match":{"pathPrefix":"/c"},"service":"c"}]}`,
			[]string{`routes[1] (id "b"): match: set pathPrefix or path, not both`}},
		{"three problems at once", `{"version":1,"routes":[
			{"id":"a","match":{"pathPrefix":"/a","methods":["get"]},"service":"a"},
			{"id":"b","match":{"pathPrefix":"/b"},"service":"b","timeout":"-1s"},
			{"id":"c","match":{"pathPrefix":"/c"},"service":"c","colour":"red"}]}`,
			[]string{`routes[0] (id "a"): match.methods[0] "get"`, `routes[1] (id "b"): timeout`, `routes[2] (id "c"): json: unknown field "colour"`}},
		{"duplicate ids", `{"version":1,"routes":[
			{"id":"a","match":{"pathPrefix":"/a"},"service":"a"},
			{"id":"a","match":{"pathPrefix":"/b"},"service":"b"}]}`,
			[]string{`routes[1] (id "a"): id "a" is also the id of routes[0]`}},
		{"two ties and a bad route", `{"version":1,"routes":[
			{"id":"a","match":{"pathPrefix":"/api"},"service":"a"},
			{"id":"b","match":{"pathPrefix":"/api"},"service":"b"},
			{"id":"c","match":{"path":"/x"},"service":"c"},
			{"id":"d","match":{"path":"/x"},"service":"d"},
			{"id":"e","match":{},"service":"e"}]}`,
			[]string{`routes[4] (id "e"): match: set pathPrefix or path`, `routes "a" and "b" tie`, `routes "c" and "d" tie`}},
		{"document and route problems", `{"version":2,"routes":[{"id":"a","match":{},"service":"a"}]}`,
			[]string{"version 2: want 1", `routes[0] (id "a"): match: set pathPrefix or path`}},
		{"not JSON", `{"version":1,`, []string{"unexpected EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, problems := routeDocumentProblems(tt.doc)
			if tt.want == nil {
				if table == nil || len(problems) > 0 {
					t.Fatalf("got table %v, problems %q; want a table and no problems", table, problemStrings(problems))
				}
				return
			}
			if table != nil {
				t.Fatalf("got a table, want problems %q", tt.want)
			}
			checkProblems(t, problems, tt.want)
		})
	}
}

func TestLimitsDocumentProblems(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"valid", `{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":100,"window":"1m"}]}`, nil},
		{"window", `{"version":1,"rules":[{"name":"ip","dimension":"ip","requests":100,"window":"2 minutes"}]}`,
			[]string{`rule 0 ("ip"): window "2 minutes": want a duration`}},
		{"every bad rule, each named", `{"version":1,"rules":[
			{"name":"ip","dimension":"ip","requests":100,"window":"1m"},
			{"name":"search","dimension":"endpoint","requests":10,"window":"1m"},
			{"name":"free","dimension":"tier","tier":"free","requests":-1,"window":"1h"},
			{"name":"ip","dimension":"ip","requests":5,"window":"1s"}]}`,
			[]string{`rule 1 ("search"): an endpoint rule needs a Route`, `rule 2 ("free"): `, `rule 3 ("ip"): name "ip" is also the name of rule 0`}},
		{"version and a rule", `{"rules":[{"name":"x","dimension":"nowhere","requests":1,"window":"1s"}]}`,
			[]string{"version 0: want 1", `rule 0 ("x"): unknown dimension "nowhere"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := limitsDocumentProblems(tt.doc)
			if tt.want == nil {
				if len(problems) > 0 {
					t.Fatalf("got %q, want no problems", problemStrings(problems))
				}
				return
			}
			checkProblems(t, problems, tt.want)
		})
	}
}

func TestPolicyProblems(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"valid", `{"versions":[{"version":"v1","weight":100}],"retry":{"attempts":3}}`, nil},
		{"weights and a route and the fault", `{"versions":[{"version":"v1","weight":90},{"version":"v2","weight":5}],
			"routes":[{"header":"X-A","value":"1","version":"v2"},{"header":"","value":"1","version":"v2"}],
			"fault":{"abortPercent":5}}`,
			[]string{"versions: weights sum to 95, want 100", "fault: abortStatus 0", "routes[1]: header is required"}},
		{"JSON problem alone", `{"versions":[{"version":"v1","weigth":100}]}`, []string{`unknown field "weigth"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := policyProblems(tt.doc)
			if tt.want == nil {
				if len(problems) > 0 {
					t.Fatalf("got %q, want no problems", problemStrings(problems))
				}
				return
			}
			checkProblems(t, problems, tt.want)
		})
	}
}
