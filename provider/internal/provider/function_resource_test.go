package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
)

func TestFunctionSchema(t *testing.T) {
	s := resourceSchema(t, NewFunctionResource())
	checkRequiresReplace(t, s, map[string]bool{"name": true})

	ctx := context.Background()
	for name, want := range map[string]string{"handler": "bootstrap", "runtime": "provided.al2023", "architecture": "x86_64"} {
		a := s.Attributes[name].(schema.StringAttribute)
		if a.Default == nil {
			t.Errorf("%s: got no default, want %q", name, want)
			continue
		}
		if got := defaultString(ctx, a); got != want {
			t.Errorf("%s default: got %q, want %q", name, got, want)
		}
	}
}

func TestFunctionValidators(t *testing.T) {
	s := resourceSchema(t, NewFunctionResource())
	strTests := []struct {
		attr, value string
		wantErr     bool
	}{
		{"architecture", "x86_64", false},
		{"architecture", "arm64", false},
		{"architecture", "aarch64", true},
		{"architecture", "", true},
		{"name", "portico-authorizer", false},
		{"name", "", true},
	}
	for _, tt := range strTests {
		diags := validateString(t, s, tt.attr, tt.value)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("%s=%q: got error %v, want %v (%s)", tt.attr, tt.value, got, tt.wantErr, errorText(diags))
		}
	}
	listTests := []struct {
		value   []string
		wantErr bool
	}{
		{[]string{"arn:aws:lambda:eu-west-1:123456789012:layer:portico-mesh:7"}, false},
		{[]string{"arn:aws:lambda:eu-west-1:123456789012:layer:portico-mesh"}, true},
		{[]string{"portico-mesh"}, true},
		{[]string{"arn:aws:lambda:eu-west-1:123456789012:layer:a:1", "arn:aws:lambda:eu-west-1:123456789012:layer:b:1",
			"arn:aws:lambda:eu-west-1:123456789012:layer:c:1", "arn:aws:lambda:eu-west-1:123456789012:layer:d:1",
			"arn:aws:lambda:eu-west-1:123456789012:layer:e:1", "arn:aws:lambda:eu-west-1:123456789012:layer:f:1"}, true},
	}
	for _, tt := range listTests {
		diags := validateList(t, s, "layers", tt.value)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("layers=%q: got error %v, want %v (%s)", tt.value, got, tt.wantErr, errorText(diags))
		}
	}
	intTests := []struct {
		attr    string
		value   int64
		wantErr bool
	}{
		{"memory_size", 127, true},
		{"memory_size", 128, false},
		{"memory_size", 10240, false},
		{"memory_size", 10241, true},
		{"timeout", 0, true},
		{"timeout", 1, false},
		{"timeout", 900, false},
		{"timeout", 901, true},
	}
	for _, tt := range intTests {
		diags := validateInt64(t, s, tt.attr, tt.value)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("%s=%d: got error %v, want %v (%s)", tt.attr, tt.value, got, tt.wantErr, errorText(diags))
		}
	}
}

func TestLambdaInvokeARN(t *testing.T) {
	tests := []struct {
		arn, want string
		wantErr   bool
	}{
		{
			arn:  "arn:aws:lambda:eu-west-1:123456789012:function:portico-authorizer",
			want: "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:portico-authorizer/invocations",
		},
		{
			arn:  "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live",
			want: "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live/invocations",
		},
		{arn: "portico-authorizer", wantErr: true},
		{arn: "arn:aws:s3:::bucket", wantErr: true},
		{arn: "arn:aws:lambda::123456789012:function:f", wantErr: true},
	}
	for _, tt := range tests {
		got, err := lambdaInvokeARN(tt.arn)
		if (err != nil) != tt.wantErr {
			t.Errorf("lambdaInvokeARN(%q): got error %v, want error %v", tt.arn, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("lambdaInvokeARN(%q): got %q, want %q", tt.arn, got, tt.want)
		}
		if tt.wantErr {
			continue
		}
		back, err := functionARNFromInvokeARN(got)
		if err != nil || back != tt.arn {
			t.Errorf("functionARNFromInvokeARN(%q): got %q, %v; want %q, nil", got, back, err, tt.arn)
		}
	}
}

func TestFunctionARNFromInvokeARNErrors(t *testing.T) {
	for _, uri := range []string{
		"",
		"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f",
		"arn:aws:apigateway:us-east-1:s3:path/bucket/key",
		"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations",
	} {
		if got, err := functionARNFromInvokeARN(uri); err == nil {
			t.Errorf("functionARNFromInvokeARN(%q): got %q, want an error", uri, got)
		}
	}
}

func TestFunctionImport(t *testing.T) {
	if got := importedString(t, &FunctionResource{}, "portico-aggregator", "name"); got != "portico-aggregator" {
		t.Errorf("imported name: got %q, want portico-aggregator", got)
	}
}

// defaultString is the default value of a.
func defaultString(ctx context.Context, a schema.StringAttribute) string {
	var resp defaults.StringResponse
	a.Default.DefaultString(ctx, defaults.StringRequest{}, &resp)
	return resp.PlanValue.ValueString()
}
