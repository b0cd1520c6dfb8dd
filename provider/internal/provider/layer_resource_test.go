package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
)

func TestLayerSchema(t *testing.T) {
	s := resourceSchema(t, NewLayerResource())
	// A layer version is immutable: everything Lambda holds replaces it.
	checkRequiresReplace(t, s, map[string]bool{"name": true, "source_code_hash": true, "description": true})
	ctx := context.Background()
	want := listplanmodifier.RequiresReplace().Description(ctx)
	for _, name := range []string{"compatible_architectures", "compatible_runtimes"} {
		a := s.Attributes[name].(schema.ListAttribute)
		if len(a.PlanModifiers) != 1 || a.PlanModifiers[0].Description(ctx) != want {
			t.Errorf("%s: got plan modifiers %v, want RequiresReplace", name, a.PlanModifiers)
		}
	}
}

func TestLayerValidators(t *testing.T) {
	s := resourceSchema(t, NewLayerResource())
	strTests := []struct {
		attr, value string
		wantErr     bool
	}{
		{"name", "portico-mesh", false},
		{"name", "portico_mesh_2", false},
		{"name", "", true},
		{"name", "portico mesh", true},
		{"name", "portico/mesh", true},
		{"name", strings.Repeat("a", 141), true},
		{"description", strings.Repeat("d", 257), true},
	}
	for _, tt := range strTests {
		diags := validateString(t, s, tt.attr, tt.value)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("%s=%q: got error %v, want %v (%s)", tt.attr, tt.value, got, tt.wantErr, errorText(diags))
		}
	}
	listTests := []struct {
		attr    string
		value   []string
		wantErr bool
	}{
		{"compatible_architectures", []string{"arm64"}, false},
		{"compatible_architectures", []string{"x86_64", "arm64"}, false},
		{"compatible_architectures", []string{"aarch64"}, true},
		{"compatible_architectures", []string{"arm64", "arm64"}, true},
		{"compatible_architectures", []string{}, true},
		{"compatible_runtimes", []string{"python3.13", "provided.al2023"}, false},
	}
	for _, tt := range listTests {
		diags := validateList(t, s, tt.attr, tt.value)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("%s=%q: got error %v, want %v (%s)", tt.attr, tt.value, got, tt.wantErr, errorText(diags))
		}
	}
}

func TestParseLayerVersionARN(t *testing.T) {
	tests := []struct {
		arn         string
		wantName    string
		wantVersion int64
		wantErr     bool
	}{
		{"arn:aws:lambda:eu-west-1:123456789012:layer:portico-mesh:7", "portico-mesh", 7, false},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:layer:portico_mesh:12", "portico_mesh", 12, false},
		{"arn:aws:lambda:eu-west-1:123456789012:layer:portico-mesh", "", 0, true},
		{"arn:aws:lambda:eu-west-1:123456789012:layer:portico-mesh:0", "", 0, true},
		{"arn:aws:lambda:eu-west-1:123456789012:function:portico-mesh:7", "", 0, true},
		{"portico-mesh:7", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			name, version, err := parseLayerVersionARN(tt.arn)
			if (err != nil) != tt.wantErr || name != tt.wantName || version != tt.wantVersion {
				t.Fatalf("got %q, %d, %v; want %q, %d, error %v", name, version, err, tt.wantName, tt.wantVersion, tt.wantErr)
			}
		})
	}
}
