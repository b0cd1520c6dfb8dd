package transcode

import (
	"slices"
	"strings"
	"testing"
)

func TestTemplateMatch(t *testing.T) {
	tests := []struct {
		tmpl, path string
		want       []string // nil means no match
	}{
		{"/v1/payments", "/v1/payments", []string{}},
		{"/v1/payments", "/v1/payments/", nil},
		{"/v1/payments", "/v1/payment", nil},
		{"/v1/payments/{payment_id}", "/v1/payments/p-1", []string{"p-1"}},
		{"/v1/payments/{payment_id}", "/v1/payments/", nil},
		{"/v1/payments/{payment_id}", "/v1/payments/p/1", nil},
		{"/v1/payments/{payment_id}", "/v1/payments/a%2Fb%25c%zz", []string{"a/b%c%zz"}},
		{"/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/books/b%2F1", []string{"shelves/s1/books/b%2F1"}},
		{"/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/books", nil},
		{"/v1/{name=shelves/*}/books/{book.id}", "/v1/shelves/s1/books/b1", []string{"shelves/s1", "b1"}},
		{"/v1/{name=files/**}", "/v1/files/a/b/c", []string{"files/a/b/c"}},
		{"/v1/{name=files/**}", "/v1/files", []string{"files"}},
		{"/v1/*/x", "/v1/anything/x", []string{}},
		{"/v1/**", "/v1/a/b", []string{}},
		{"/v1/payments/{id}:cancel", "/v1/payments/p1:cancel", []string{"p1"}},
		{"/v1/payments/{id}:cancel", "/v1/payments/p1", nil},
		{"/v1/payments/{id}", "/v1/payments/p1:cancel", []string{"p1:cancel"}},
		{"/v1/payments:search", "/v1/payments:search", []string{}},
		{"/v1/payments:search", "/v1/payments", nil},
		{"/v1/x", "v1/x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl+" "+tt.path, func(t *testing.T) {
			tmpl, err := parseTemplate(tt.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := tmpl.match(tt.path)
			switch {
			case tt.want == nil && ok:
				t.Fatalf("got match %q, want none", got)
			case tt.want != nil && !ok:
				t.Fatalf("got no match, want %q", tt.want)
			case ok && !slices.Equal(got, tt.want):
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTemplateParseErrors(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{"", "must start with /"},
		{"/", "empty segment"},
		{"/v1//x", "empty segment"},
		{"/v1/x:", "empty verb"},
		{"/v1/{a", "unterminated"},
		{"/v1/{a=b", "unterminated"},
		{"/v1/{a={b}}", "nested variable"},
		{"/v1/{1a}", "bad field path"},
		{"/v1/{a..b}", "bad field path"},
		{"/v1/{a}/{a}", "bound twice"},
		{"/v1/**/x", `"**" must be the last`},
		{"/v1/x}", "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			_, err := parseTemplate(tt.tmpl)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one with %q", err, tt.want)
			}
		})
	}
}
