package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestTableSchema(t *testing.T) {
	s := resourceSchema(t, NewTableResource())
	checkRequiresReplace(t, s, map[string]bool{"name": true, "hash_key": true, "range_key": true})
}

func TestTableKeys(t *testing.T) {
	tests := []struct {
		hash, rng string
		wantKeys  []string
	}{
		{"pk", "", []string{"pk:HASH"}},
		{"pk", "sk", []string{"pk:HASH", "sk:RANGE"}},
	}
	for _, tt := range tests {
		defs, keys := tableKeys(tt.hash, tt.rng)
		if len(defs) != len(tt.wantKeys) || len(keys) != len(tt.wantKeys) {
			t.Fatalf("tableKeys(%q, %q): got %d definitions and %d keys, want %d", tt.hash, tt.rng, len(defs), len(keys), len(tt.wantKeys))
		}
		for i, want := range tt.wantKeys {
			got := aws.ToString(keys[i].AttributeName) + ":" + string(keys[i].KeyType)
			if got != want {
				t.Errorf("key %d: got %s, want %s", i, got, want)
			}
			if defs[i].AttributeType != "S" {
				t.Errorf("definition %d: got type %s, want S", i, defs[i].AttributeType)
			}
		}
	}
}

// emptyState is the state an import starts from.
func emptyState(s schema.Schema) tfsdk.State {
	return tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(context.Background()), nil)}
}

// importedString imports id into r and returns the value of attribute name.
func importedString(t *testing.T, r resource.ResourceWithImportState, id, name string) string {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t, r)
	resp := resource.ImportStateResponse{State: emptyState(s)}
	r.ImportState(ctx, resource.ImportStateRequest{ID: id}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("ImportState(%q): got %v, want no error", id, errorText(resp.Diagnostics))
	}
	var got string
	if diags := resp.State.GetAttribute(ctx, path.Root(name), &got); diags.HasError() {
		t.Fatalf("get %s: %v", name, diags)
	}
	return got
}

func TestTableImport(t *testing.T) {
	r := &TableResource{}
	for _, attr := range []string{"id", "name"} {
		if got := importedString(t, r, "routes", attr); got != "routes" {
			t.Errorf("imported %s: got %q, want routes", attr, got)
		}
	}
}

func TestStringOrNil(t *testing.T) {
	if got := stringOrNil(""); got != nil {
		t.Errorf(`stringOrNil(""): got %q, want nil`, *got)
	}
	if got := stringOrNil("x"); got == nil || *got != "x" {
		t.Errorf(`stringOrNil("x"): got %v, want pointer to "x"`, got)
	}
}

func TestTTLChange(t *testing.T) {
	s, n := types.StringValue, types.StringNull()
	tests := []struct {
		name        string
		state, plan types.String
		refused     bool
	}{
		{"enable", n, s("ttl"), false},
		{"disable", s("ttl"), n, false},
		{"unchanged", s("ttl"), s("ttl"), false},
		{"unknown", s("ttl"), types.StringUnknown(), false},
		{"another attribute", s("ttl"), s("expires"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ttlChange(tt.state, tt.plan)
			if (err != nil) != tt.refused {
				t.Fatalf("got %v, want refused %v", err, tt.refused)
			}
			if err != nil && !strings.Contains(err.Error(), "two applies") {
				t.Fatalf("got %q, want the two-step way in the message", err)
			}
		})
	}
}
