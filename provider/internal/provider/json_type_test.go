package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// JSON attributes compare as documents: the spelling of one meaning is not a
// change, for any JSON and, by what it parses to, for a mesh policy.
func TestJSONSemanticEquality(t *testing.T) {
	tests := []struct {
		name string
		kind jsonKind
		a, b string
		want bool
	}{
		{"key order and white space", jsonAny, `{"b":1,"a":[1,2]}`, "{\n  \"a\": [1, 2],\n  \"b\": 1\n}", true},
		{"number spelling", jsonAny, `{"n":1}`, `{"n":1.0}`, true},
		{"array order matters", jsonAny, `{"a":[1,2]}`, `{"a":[2,1]}`, false},
		{"different value", jsonAny, `{"a":1}`, `{"a":2}`, false},
		{"not JSON equals only itself", jsonAny, `not json`, `not json`, true},
		{"not JSON differs from JSON", jsonAny, `not json`, `{}`, false},
		{"policy key order", jsonMeshPolicy, `{"versions":[{"version":"v1","weight":100}]}`, `{"versions":[{"weight":100,"version":"v1"}]}`, true},
		{"policy duration spelling", jsonMeshPolicy, `{"retry":{"perTryTimeout":"2s"}}`, `{"retry":{"perTryTimeout":"2000ms"}}`, true},
		{"policy minute spelling", jsonMeshPolicy, `{"outlier":{"baseEjection":"1m"}}`, `{"outlier":{"baseEjection":"1m0s"}}`, true},
		{"policy empty list is no list", jsonMeshPolicy, `{"versions":[]}`, `{}`, true},
		{"policy different version", jsonMeshPolicy, `{"versions":[{"version":"v1","weight":100}]}`, `{"versions":[{"version":"v2","weight":100}]}`, false},
		{"durations are not equal as plain JSON", jsonAny, `{"d":"1m"}`, `{"d":"60s"}`, false},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := jsonString(tt.kind, tt.a).StringSemanticEquals(ctx, jsonString(tt.kind, tt.b))
			if diags.HasError() {
				t.Fatalf("got diagnostics %v", diags)
			}
			if got != tt.want {
				t.Errorf("%s vs %s: got equal=%v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestJSONTypeRoundTrip(t *testing.T) {
	ctx := context.Background()
	typ := jsonTypeOf(jsonMeshPolicy)
	v, err := typ.ValueFromTerraform(ctx, tftypes.NewValue(tftypes.String, `{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	jv, ok := v.(jsonValue)
	if !ok || jv.kind != jsonMeshPolicy || jv.ValueString() != `{"a":1}` {
		t.Fatalf("got %#v, want a mesh-policy jsonValue holding the text", v)
	}
	if !jv.Type(ctx).Equal(typ) || typ.Equal(jsonTypeOf(jsonAny)) || typ.Equal(types.StringType) {
		t.Errorf("type equality: got the wrong verdict")
	}
	if !jsonNull(jsonAny).IsNull() || jsonNull(jsonAny).Equal(jsonNull(jsonMeshPolicy)) {
		t.Errorf("null values: got the wrong verdict")
	}
}
