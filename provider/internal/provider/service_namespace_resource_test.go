package provider

import "testing"

func TestServiceNamespaceSchema(t *testing.T) {
	s := resourceSchema(t, NewServiceNamespaceResource())
	checkRequiresReplace(t, s, map[string]bool{"name": true})
	tests := []struct {
		attr, value string
		wantErr     bool
	}{
		{"name", "portico.local", false},
		{"name", "", true},
		{"description", "", false},
	}
	for _, tt := range tests {
		diags := validateString(t, s, tt.attr, tt.value)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("%s=%q: got error %v, want %v (%s)", tt.attr, tt.value, got, tt.wantErr, errorText(diags))
		}
	}
}

func TestServiceNamespaceImport(t *testing.T) {
	if got := importedString(t, &ServiceNamespaceResource{}, "ns-abc123", "id"); got != "ns-abc123" {
		t.Errorf("imported id: got %q, want ns-abc123", got)
	}
}
