package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestProviderSchema(t *testing.T) {
	ctx := context.Background()
	var resp provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("Schema: got diagnostics %v, want none", resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatalf("ValidateImplementation: got %v, want none", diags)
	}
	for _, name := range []string{"region", "endpoint", "ca_bundle"} {
		attr, ok := resp.Schema.Attributes[name]
		if !ok {
			t.Errorf("provider attribute %q: missing", name)
			continue
		}
		if !attr.IsOptional() {
			t.Errorf("provider attribute %q: got required, want optional", name)
		}
		if attr.GetMarkdownDescription() == "" {
			t.Errorf("provider attribute %q: got no MarkdownDescription", name)
		}
	}
}

// resourceSchema returns the validated schema of r.
func resourceSchema(t *testing.T, r resource.Resource) schema.Schema {
	t.Helper()
	ctx := context.Background()
	var resp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("Schema: got diagnostics %v, want none", resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatalf("ValidateImplementation: got %v, want none", diags)
	}
	return resp.Schema
}

func TestResources(t *testing.T) {
	ctx := context.Background()
	want := map[string][]string{
		"portico_table":             {"id", "name", "hash_key", "range_key", "ttl_attribute", "tags", "tags_all", "arn"},
		"portico_function":          {"id", "name", "filename", "source_code_hash", "role_arn", "handler", "runtime", "architecture", "memory_size", "timeout", "environment", "layers", "vpc_config", "tracing", "log_retention_days", "log_group_name", "tags", "tags_all", "arn", "invoke_arn"},
		"portico_api":               {"id", "rest_api_id", "name", "authorizer_function_arn", "aggregator_function_arn", "authorizer_ttl", "stage_name", "root_resource_id", "proxy_resource_id", "authorizer_id", "deployment_id", "execution_arn", "invoke_url", "redeployment_trigger", "gateway_responses", "binary_media_types", "integration_timeout_ms", "aggregator_timeout", "cors", "access_log", "access_log_group_name", "throttling", "tracing", "tags", "tags_all"},
		"portico_service_namespace": {"id", "name", "description", "tags", "tags_all", "arn"},
		"portico_service":           {"id", "name", "namespace_id", "description", "policy", "table_name", "tags", "tags_all", "arn"},
		"portico_service_policy":    {"id", "service_id", "policy", "table_name", "service_name"},
		"portico_service_instance":  {"id", "service_id", "instance_id", "address", "port", "attributes"},
		"portico_api_key":           {"id", "table_name", "name", "key", "key_hash", "generate", "tier", "enabled"},
		"portico_lambda_role":       {"id", "name", "policy", "service", "tags", "tags_all", "arn"},
		"portico_limits":            {"id", "table_name", "document"},
		"portico_auth_settings":     {"id", "table_name", "document"},
		"portico_route_table":       {"id", "table_name", "key", "document", "descriptors", "integration_timeout_ms"},
		"portico_grpc_descriptors":  {"id", "table_name", "name", "filename", "source_hash", "services"},
		"portico_mesh_ca":           {"id", "name", "arn", "trust_domain", "validity_hours", "renew_before_hours", "rotate", "cert_pem", "ca_bundle_pem", "not_after", "version_id", "create_secret", "recovery_window_in_days", "tags", "tags_all"},
		"portico_mesh_certificate":  {"id", "name", "arn", "ca_secret", "ca_cert_pem", "service", "dns_names", "validity_hours", "renew_before_hours", "cert_pem", "not_after", "version_id", "create_secret", "recovery_window_in_days", "tags", "tags_all"},
		"portico_domain":            {"id", "domain_name", "certificate_arn", "security_policy", "rest_api_id", "stage_name", "base_path", "regional_domain_name", "regional_hosted_zone_id", "url", "tags", "tags_all"},
		"portico_layer":             {"id", "name", "filename", "source_code_hash", "description", "compatible_architectures", "compatible_runtimes", "arn", "layer_arn", "version"},
	}
	// Resources that wait for AWS have a timeouts block.
	withTimeouts := map[string]bool{"portico_table": true, "portico_function": true, "portico_api": true,
		"portico_service_namespace": true, "portico_service": true, "portico_service_instance": true}
	p := New("test")()
	got := map[string]bool{}
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "portico"}, &meta)
		t.Run(meta.TypeName, func(t *testing.T) {
			if got[meta.TypeName] {
				t.Fatalf("type name %q: registered twice", meta.TypeName)
			}
			got[meta.TypeName] = true
			if _, ok := r.(resource.ResourceWithImportState); !ok {
				t.Errorf("got no ImportState, want one")
			}
			s := resourceSchema(t, r)
			if s.MarkdownDescription == "" {
				t.Errorf("resource: got no MarkdownDescription")
			}
			attrs, ok := want[meta.TypeName]
			if !ok {
				t.Fatalf("unexpected resource %q", meta.TypeName)
			}
			if _, ok := s.Blocks["timeouts"]; ok != withTimeouts[meta.TypeName] {
				t.Errorf("timeouts block: got %v, want %v", ok, withTimeouts[meta.TypeName])
			}
			if len(s.Attributes) != len(attrs) {
				t.Errorf("got %d attributes, want %d (%v)", len(s.Attributes), len(attrs), attrs)
			}
			for _, name := range attrs {
				a, ok := s.Attributes[name]
				if !ok {
					t.Errorf("attribute %q: missing", name)
					continue
				}
				if a.GetMarkdownDescription() == "" {
					t.Errorf("attribute %q: got no MarkdownDescription", name)
				}
			}
		})
	}
	if len(got) != len(want) {
		t.Errorf("got %d resources, want %d", len(got), len(want))
	}
}

func TestDataSources(t *testing.T) {
	ctx := context.Background()
	want := map[string][]string{
		"portico_api":               {"id", "stage_name", "name", "invoke_url", "execution_arn"},
		"portico_service_instances": {"id", "namespace_name", "service_name", "instances"},
		"portico_caller":            {"account_id", "arn", "region"},
		"portico_auth_settings":     {"id", "document", "issuers"},
	}
	p := New("test")()
	got := map[string]bool{}
	for _, newDataSource := range p.DataSources(ctx) {
		d := newDataSource()
		var meta datasource.MetadataResponse
		d.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "portico"}, &meta)
		t.Run(meta.TypeName, func(t *testing.T) {
			if got[meta.TypeName] {
				t.Fatalf("type name %q: registered twice", meta.TypeName)
			}
			got[meta.TypeName] = true
			if _, ok := d.(datasource.DataSourceWithConfigure); !ok {
				t.Errorf("got no Configure, want one")
			}
			var resp datasource.SchemaResponse
			d.Schema(ctx, datasource.SchemaRequest{}, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatalf("Schema: got diagnostics %v, want none", resp.Diagnostics)
			}
			if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
				t.Fatalf("ValidateImplementation: got %v, want none", diags)
			}
			if resp.Schema.MarkdownDescription == "" {
				t.Errorf("data source: got no MarkdownDescription")
			}
			attrs, ok := want[meta.TypeName]
			if !ok {
				t.Fatalf("unexpected data source %q", meta.TypeName)
			}
			if len(resp.Schema.Attributes) != len(attrs) {
				t.Errorf("got %d attributes, want %d (%v)", len(resp.Schema.Attributes), len(attrs), attrs)
			}
			for _, name := range attrs {
				a, ok := resp.Schema.Attributes[name]
				if !ok {
					t.Errorf("attribute %q: missing", name)
					continue
				}
				if a.GetMarkdownDescription() == "" {
					t.Errorf("attribute %q: got no MarkdownDescription", name)
				}
			}
		})
	}
	if len(got) != len(want) {
		t.Errorf("got %d data sources, want %d", len(got), len(want))
	}
}

func TestNewClientsEndpoint(t *testing.T) {
	tests := []struct {
		base *string
		want string
	}{
		{nil, ""},
		{aws.String(""), ""},
		{aws.String("https://localhost:4566"), "https://localhost:4566"},
		{aws.String("http://127.0.0.1:4610/"), "http://127.0.0.1:4610"},
	}
	for _, tt := range tests {
		c := newClients(aws.Config{Region: "eu-west-1", BaseEndpoint: tt.base})
		if c.Endpoint != tt.want {
			t.Errorf("endpoint %v: got %q, want %q", aws.ToString(tt.base), c.Endpoint, tt.want)
		}
		if c.Region != "eu-west-1" {
			t.Errorf("region: got %q, want eu-west-1", c.Region)
		}
	}
}

func TestClientsFrom(t *testing.T) {
	var diags diag.Diagnostics
	if got := clientsFrom(nil, &diags); got != nil || diags.HasError() {
		t.Errorf("nil provider data: got %v, %v; want nil, no error", got, diags)
	}
	want := &Clients{Region: "us-east-1"}
	if got := clientsFrom(want, &diags); got != want || diags.HasError() {
		t.Errorf("clients: got %v, %v; want %v, no error", got, diags, want)
	}
	if got := clientsFrom("oops", &diags); got != nil || !diags.HasError() {
		t.Errorf("wrong type: got %v, %v; want nil and an error", got, diags)
	}
}

// checkRequiresReplace checks which string attributes of s force a new resource.
func checkRequiresReplace(t *testing.T, s schema.Schema, replace map[string]bool) {
	t.Helper()
	ctx := context.Background()
	want := stringplanmodifier.RequiresReplace().Description(ctx)
	for name, a := range s.Attributes {
		sa, ok := a.(schema.StringAttribute)
		if !ok {
			continue
		}
		got := false
		for _, m := range sa.PlanModifiers {
			if m.Description(ctx) == want {
				got = true
			}
		}
		if got != replace[name] {
			t.Errorf("attribute %q: got RequiresReplace=%v, want %v", name, got, replace[name])
		}
	}
}

// validateString runs the validators of a string attribute of s on v.
func validateString(t *testing.T, s schema.Schema, name, v string) diag.Diagnostics {
	t.Helper()
	a, ok := s.Attributes[name].(schema.StringAttribute)
	if !ok {
		t.Fatalf("attribute %q: not a string attribute", name)
	}
	var diags diag.Diagnostics
	for _, val := range a.Validators {
		req := validator.StringRequest{Path: path.Root(name), ConfigValue: types.StringValue(v)}
		var resp validator.StringResponse
		val.ValidateString(context.Background(), req, &resp)
		diags.Append(resp.Diagnostics...)
	}
	return diags
}

// validateInt64 runs the validators of an int64 attribute of s on v.
func validateInt64(t *testing.T, s schema.Schema, name string, v int64) diag.Diagnostics {
	t.Helper()
	a, ok := s.Attributes[name].(schema.Int64Attribute)
	if !ok {
		t.Fatalf("attribute %q: not an int64 attribute", name)
	}
	var diags diag.Diagnostics
	for _, val := range a.Validators {
		req := validator.Int64Request{Path: path.Root(name), ConfigValue: types.Int64Value(v)}
		var resp validator.Int64Response
		val.ValidateInt64(context.Background(), req, &resp)
		diags.Append(resp.Diagnostics...)
	}
	return diags
}

// validateMap runs the validators of a map attribute of s on v.
func validateMap(t *testing.T, s schema.Schema, name string, v map[string]string) diag.Diagnostics {
	t.Helper()
	a, ok := s.Attributes[name].(schema.MapAttribute)
	if !ok {
		t.Fatalf("attribute %q: not a map attribute", name)
	}
	m, diags := types.MapValueFrom(context.Background(), types.StringType, v)
	if diags.HasError() {
		t.Fatalf("map value: %v", diags)
	}
	for _, val := range a.Validators {
		req := validator.MapRequest{Path: path.Root(name), ConfigValue: m}
		var resp validator.MapResponse
		val.ValidateMap(context.Background(), req, &resp)
		diags.Append(resp.Diagnostics...)
	}
	return diags
}

// validateList runs the validators of a string list attribute of s on v.
func validateList(t *testing.T, s schema.Schema, name string, v []string) diag.Diagnostics {
	t.Helper()
	a, ok := s.Attributes[name].(schema.ListAttribute)
	if !ok {
		t.Fatalf("attribute %q: not a list attribute", name)
	}
	l, diags := types.ListValueFrom(context.Background(), types.StringType, v)
	if diags.HasError() {
		t.Fatalf("list value: %v", diags)
	}
	for _, val := range a.Validators {
		req := validator.ListRequest{Path: path.Root(name), ConfigValue: l}
		var resp validator.ListResponse
		val.ValidateList(context.Background(), req, &resp)
		diags.Append(resp.Diagnostics...)
	}
	return diags
}

// errorText joins the summaries and details of diags, for messages.
func errorText(diags diag.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.Summary() + ": " + d.Detail() + "; ")
	}
	return b.String()
}
