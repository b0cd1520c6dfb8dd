package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/portico-gw/portico/internal/apikey"
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

// keyModel is a portico_api_key with the given key, key_hash and generate
// (zero values: not set).
func keyModel(key, hash string, generate bool) APIKeyResourceModel {
	m := APIKeyResourceModel{ID: types.StringUnknown(), TableName: types.StringValue("state"), Name: types.StringValue("acme"),
		Key: types.StringNull(), KeyHash: types.StringNull(), Generate: types.BoolNull(), Tier: types.StringValue("pro"), Enabled: types.BoolValue(true)}
	if key != "" {
		m.Key = types.StringValue(key)
	}
	if hash != "" {
		m.KeyHash = types.StringValue(hash)
	}
	if generate {
		m.Generate = types.BoolValue(true)
	}
	return m
}

func TestAPIKeyValidateConfig(t *testing.T) {
	key := strings.Repeat("k", 32)
	tests := []struct {
		name   string
		config APIKeyResourceModel
		want   string
	}{
		{"key_hash", keyModel("", apikey.Hash(key), false), ""},
		{"key", keyModel(key, "", false), ""},
		{"generate", keyModel("", "", true), ""},
		{"none", keyModel("", "", false), "Give exactly one of key_hash"},
		{"two", keyModel(key, apikey.Hash(key), false), "gives key and key_hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &APIKeyResource{}
			s := resourceSchema(t, r)
			var resp resource.ValidateConfigResponse
			r.ValidateConfig(context.Background(), resource.ValidateConfigRequest{Config: tfsdk.Config{Schema: s, Raw: tfState(t, s, &tt.config).Raw}}, &resp)
			got := errorText(resp.Diagnostics.Errors())
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The key is replaced only when its hash changes: an imported key (state has
// the hash only) given as key, or a switch between key, key_hash and
// generate, updates in place.
func TestAPIKeyPlanReplacesOnlyOnANewHash(t *testing.T) {
	ctx := context.Background()
	key, other := strings.Repeat("k", 32), strings.Repeat("o", 32)
	imported := keyModel("", apikey.Hash(key), false)
	imported.ID = types.StringValue("state/" + apikey.Hash(key))
	generated := keyModel(key, apikey.Hash(key), true)
	generated.ID = imported.ID
	tests := []struct {
		name        string
		state       *APIKeyResourceModel
		config      APIKeyResourceModel
		wantReplace bool
		wantHash    string // "" unknown
		wantKeyNull bool
	}{
		{"create from key", nil, keyModel(key, "", false), false, apikey.Hash(key), false},
		{"create generated", nil, keyModel("", "", true), false, "", false},
		{"imported, configured with its key", &imported, keyModel(key, "", false), false, apikey.Hash(key), false},
		{"imported, configured with its hash", &imported, keyModel("", apikey.Hash(key), false), false, apikey.Hash(key), true},
		{"imported, another key", &imported, keyModel(other, "", false), true, apikey.Hash(other), false},
		{"generated key kept", &generated, keyModel("", "", true), false, apikey.Hash(key), false},
		{"generated, switched to its hash", &generated, keyModel("", apikey.Hash(key), false), false, apikey.Hash(key), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &APIKeyResource{}
			s := resourceSchema(t, r)
			plan := tt.config
			if tt.state != nil {
				plan.ID = tt.state.ID
			}
			req := resource.ModifyPlanRequest{State: tfState(t, s, tt.state), Plan: tfPlan(t, s, &plan),
				Config: tfsdk.Config{Schema: s, Raw: tfState(t, s, &tt.config).Raw}}
			resp := resource.ModifyPlanResponse{Plan: req.Plan}
			r.ModifyPlan(ctx, req, &resp)
			noErrors(t, "ModifyPlan", resp.Diagnostics)
			var got APIKeyResourceModel
			noErrors(t, "plan", resp.Plan.Get(ctx, &got))
			if replace := len(resp.RequiresReplace) > 0; replace != tt.wantReplace {
				t.Errorf("replace: got %v, want %v", replace, tt.wantReplace)
			}
			if tt.wantHash == "" && !got.KeyHash.IsUnknown() || tt.wantHash != "" && got.KeyHash.ValueString() != tt.wantHash {
				t.Errorf("key_hash: got %v, want %q (\"\": unknown)", got.KeyHash, tt.wantHash)
			}
			if got.Key.IsNull() != tt.wantKeyNull {
				t.Errorf("key: got null=%v, want %v", got.Key.IsNull(), tt.wantKeyNull)
			}
		})
	}
}
