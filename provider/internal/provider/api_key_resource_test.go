package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
)

func TestAPIKeySchema(t *testing.T) {
	var resp resource.SchemaResponse
	NewAPIKeyResource().Schema(context.Background(), resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("got diagnostics %v", resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(context.Background()); diags.HasError() {
		t.Fatalf("got %v, want a valid schema", diags)
	}
	if !resp.Schema.Attributes["key"].IsSensitive() {
		t.Fatal("key is not sensitive, want it sensitive")
	}
}

func TestParseAPIKeyImportID(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct {
		id   string
		ok   bool
		want string
	}{
		{"state/" + hash, true, "state"},
		{"state", false, ""},
		{"/" + hash, false, ""},
		{"state/abc", false, ""},
		{"state/" + strings.Repeat("AB", 32), false, ""},
	}
	for _, tt := range tests {
		table, h, err := parseAPIKeyImportID(tt.id)
		if (err == nil) != tt.ok || table != tt.want || (tt.ok && h != hash) {
			t.Errorf("parseAPIKeyImportID(%q) = %q, %q, %v; want ok=%v table %q", tt.id, table, h, err, tt.ok, tt.want)
		}
	}
}
