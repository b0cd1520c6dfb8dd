package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestRouteTableSchema(t *testing.T) {
	s := resourceSchema(t, NewRouteTableResource())
	checkRequiresReplace(t, s, map[string]bool{"table_name": true, "key": true})
}

// validateRouteTableConfig runs the resource's ValidateConfig on a document.
func validateRouteTableConfig(t *testing.T, doc tftypes.Value) diag.Diagnostics {
	t.Helper()
	return validateRouteTableConfigWith(t, doc, tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, nil))
}

// validateRouteTableConfigWith runs ValidateConfig with a descriptors map.
func validateRouteTableConfigWith(t *testing.T, doc, descriptors tftypes.Value) diag.Diagnostics {
	t.Helper()
	return validateRouteTableConfigTimeout(t, doc, descriptors, tftypes.NewValue(tftypes.Number, nil))
}

// validateRouteTableConfigTimeout runs ValidateConfig with a descriptors map
// and an integration timeout.
func validateRouteTableConfigTimeout(t *testing.T, doc, descriptors, timeout tftypes.Value) diag.Diagnostics {
	t.Helper()
	r := &RouteTableResource{}
	s := resourceSchema(t, r)
	typ := s.Type().TerraformType(context.Background())
	raw := tftypes.NewValue(typ, map[string]tftypes.Value{
		"id":                     tftypes.NewValue(tftypes.String, nil),
		"table_name":             tftypes.NewValue(tftypes.String, "state"),
		"key":                    tftypes.NewValue(tftypes.String, nil),
		"document":               doc,
		"descriptors":            descriptors,
		"integration_timeout_ms": timeout,
	})
	var resp resource.ValidateConfigResponse
	r.ValidateConfig(context.Background(), resource.ValidateConfigRequest{Config: tfsdk.Config{Schema: s, Raw: raw}}, &resp)
	return resp.Diagnostics
}

func TestRouteTableValidateConfig(t *testing.T) {
	doc := func(routes string) tftypes.Value {
		return tftypes.NewValue(tftypes.String, `{"version":1,"routes":[`+routes+`]}`)
	}
	tests := []struct {
		name            string
		doc             tftypes.Value
		errors, warning string
	}{
		{"valid", doc(`{"id":"users","match":{"pathPrefix":"/api/v1/users"},"service":"user-service","stripPrefix":"/api/v1"}`), "", ""},
		{"unknown until apply", tftypes.NewValue(tftypes.String, tftypes.UnknownValue), "", ""},
		{"not JSON", tftypes.NewValue(tftypes.String, `{"version":`), "unexpected EOF", ""},
		{"tie", doc(`{"id":"a","match":{"pathPrefix":"/a"},"service":"s"},{"id":"b","match":{"pathPrefix":"/a"},"service":"t"}`), `routes "a" and "b" tie`, ""},
		{"bad strip", doc(`{"id":"a","match":{"pathPrefix":"/a/b"},"service":"s","stripPrefix":"/b"}`), `routes[0] (id "a"): stripPrefix "/b"`, ""},
		{"timeout over 29 s", doc(`{"id":"orders","match":{"pathPrefix":"/o"},"service":"s","timeout":"30s"}`),
			`route "orders": timeout 30s does not fit behind API Gateway's 29s integration timeout; at most 27s`, ""},
		{"timeout 29 s, the issue's", doc(`{"id":"orders","match":{"pathPrefix":"/o"},"service":"s","timeout":"29s"}`), `route "orders": timeout 29s`, ""},
		{"timeout 27 s fits", doc(`{"id":"orders","match":{"pathPrefix":"/o"},"service":"s","timeout":"27s"}`), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := validateRouteTableConfig(t, tt.doc)
			if tt.errors == "" && diags.HasError() {
				t.Fatalf("got errors %s, want none", errorText(diags))
			}
			if tt.errors != "" && (!diags.HasError() || !strings.Contains(errorText(diags.Errors()), tt.errors)) {
				t.Fatalf("got %s, want an error containing %q", errorText(diags), tt.errors)
			}
			warnings := errorText(diags.Warnings())
			if (tt.warning == "") != (warnings == "") || !strings.Contains(warnings, tt.warning) {
				t.Fatalf("got warnings %q, want %q", warnings, tt.warning)
			}
		})
	}
}

// A raised integration timeout lets longer routes through, and a lowered
// one refuses even the default 10 s.
func TestRouteTableIntegrationTimeout(t *testing.T) {
	doc := tftypes.NewValue(tftypes.String, `{"version":1,"routes":[{"id":"orders","match":{"pathPrefix":"/o"},"service":"s","timeout":"30s"},`+
		`{"id":"users","match":{"pathPrefix":"/u"},"service":"s"}]}`)
	nodesc := tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, nil)
	tests := []struct {
		timeout tftypes.Value
		errors  []string
	}{
		{tftypes.NewValue(tftypes.Number, 32000), nil},
		{tftypes.NewValue(tftypes.Number, tftypes.UnknownValue), nil},
		{tftypes.NewValue(tftypes.Number, 29000), []string{`"orders"`}},
		{tftypes.NewValue(tftypes.Number, 11000), []string{`"orders"`, `"users": timeout 10s`}},
	}
	for _, tt := range tests {
		diags := validateRouteTableConfigTimeout(t, doc, nodesc, tt.timeout)
		errs := errorText(diags.Errors())
		if len(tt.errors) == 0 && diags.HasError() {
			t.Errorf("timeout %v: got %s, want no error", tt.timeout, errs)
		}
		for _, want := range tt.errors {
			if !strings.Contains(errs, want) {
				t.Errorf("timeout %v: got %s, want an error naming %s", tt.timeout, errs, want)
			}
		}
	}
}

func TestRouteTableImport(t *testing.T) {
	r := &RouteTableResource{}
	tests := []struct{ id, table, key, stateID string }{
		{"portico-state", "portico-state", "config#routes", "portico-state"},
		{"portico-state/config#routes", "portico-state", "config#routes", "portico-state"},
	}
	for _, tt := range tests {
		if got := importedString(t, r, tt.id, "table_name"); got != tt.table {
			t.Errorf("import %q: got table_name %q, want %q", tt.id, got, tt.table)
		}
		if got := importedString(t, r, tt.id, "key"); got != tt.key {
			t.Errorf("import %q: got key %q, want %q", tt.id, got, tt.key)
		}
		if got := importedString(t, r, tt.id, "id"); got != tt.stateID {
			t.Errorf("import %q: got id %q, want %q", tt.id, got, tt.stateID)
		}
	}
	for _, bad := range []string{"", "/k", "t/", "portico-state/config#canary"} {
		if _, _, err := parseRouteTableImportID(bad); err == nil {
			t.Errorf("import %q: got nil error, want one", bad)
		}
	}
}
