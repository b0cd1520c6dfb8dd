package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Values AWS would refuse are refused at plan time, with the rule in the
// message.
func TestPatternValidators(t *testing.T) {
	tests := []struct {
		name  string
		v     patternValidator
		value string
		ok    bool
	}{
		{"table", tableNameValidator, "portico-state", true},
		{"table too short", tableNameValidator, "ab", false},
		{"table with a slash", tableNameValidator, "a/b/c", false},
		{"function", functionNameValidator, "portico-aggregator_1", true},
		{"function with a dot", functionNameValidator, "portico.aggregator", false},
		{"function too long", functionNameValidator, strings.Repeat("f", 65), false},
		{"role", roleARNValidator, "arn:aws:iam::123456789012:role/portico-aggregator", true},
		{"role with a path", roleARNValidator, "arn:aws:iam::123456789012:role/service/portico", true},
		{"role in China", roleARNValidator, "arn:aws-cn:iam::123456789012:role/portico", true},
		{"user, not a role", roleARNValidator, "arn:aws:iam::123456789012:user/portico", false},
		{"role name", roleARNValidator, "portico-aggregator", false},
		{"handler", handlerValidator, "bootstrap", true},
		{"handler with a space", handlerValidator, "main handler", false},
		{"stage", stageNameValidator, "prod_v2-eu", true},
		{"stage with a dot", stageNameValidator, "v1.0", false},
		{"namespace id", namespaceIDValidator, "ns-abcdef0123456789", true},
		{"namespace name as id", namespaceIDValidator, "portico.local", false},
		{"service id", serviceIDValidator, "srv-e14ea900", true},
		{"service name", serviceNameValidator, "payment-v2.internal", true},
		{"service label ending in -", serviceNameValidator, "payment-", false},
		{"service name too long", serviceNameValidator, strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + ".ccccccc", false},
		{"instance id", instanceIDValidator, "payment-v2-a:8443", true},
		{"instance id with a space", instanceIDValidator, "payment a", false},
		{"REST API id", restAPIIDValidator, "a1b2c3d4e5", true},
		{"REST API id upper case", restAPIIDValidator, "A1B2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp validator.StringResponse
			tt.v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: types.StringValue(tt.value)}, &resp)
			if ok := !resp.Diagnostics.HasError(); ok != tt.ok {
				t.Fatalf("%q: got ok=%v, want %v (%s)", tt.value, ok, tt.ok, errorText(resp.Diagnostics))
			}
			if !tt.ok && !strings.Contains(errorText(resp.Diagnostics), tt.v.what) {
				t.Errorf("message %q does not state the rule %q", errorText(resp.Diagnostics), tt.v.what)
			}
		})
	}
}

func TestLambdaRuntimes(t *testing.T) {
	got := lambdaRuntimes()
	for _, want := range []string{"provided.al2023", "provided.al2", "python3.12"} {
		if !containsString(got, want) {
			t.Errorf("runtimes: %s missing", want)
		}
	}
	for _, retired := range []string{"go1.x", "provided", "python2.7", "nodejs12.x"} {
		if containsString(got, retired) {
			t.Errorf("runtimes: got retired %s, want it refused", retired)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Every bad environment name is its own diagnostic, on its key.
func TestEnvironmentValidator(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // one substring per expected error
	}{
		{"valid", map[string]string{"PORTICO_TABLE": "state", "LOG_LEVEL": "debug"}, nil},
		{"reserved and malformed at once", map[string]string{"AWS_REGION": "x", "1BAD": "y", "A-B": "z"},
			[]string{"set by Lambda itself", `"1BAD"`, `"A-B"`}},
		{"too large", map[string]string{"BIG": strings.Repeat("x", maxEnvironmentBytes)}, []string{"Lambda allows 4096 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, diags := types.MapValueFrom(context.Background(), types.StringType, tt.env)
			noErrors(t, "map", diags)
			var resp validator.MapResponse
			environmentValidator{}.ValidateMap(context.Background(), validator.MapRequest{Path: path.Root("environment"), ConfigValue: m}, &resp)
			errs := resp.Diagnostics.Errors()
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d errors (%s), want %d", len(errs), errorText(errs), len(tt.want))
			}
			text := errorText(errs)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("got %q, want it to contain %q", text, w)
				}
			}
		})
	}
}

func TestInstanceAttributesValidator(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]string
		errs  int
	}{
		{"valid", map[string]string{"version": "v2", "zone": "eu-west-1a"}, 0},
		{"bad name and value", map[string]string{"has space": "x", "ok": strings.Repeat("v", 1025)}, 2},
		{"too many", func() map[string]string {
			m := map[string]string{}
			for i := 0; i < 29; i++ {
				m[strings.Repeat("k", i+1)] = "v"
			}
			return m
		}(), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, diags := types.MapValueFrom(context.Background(), types.StringType, tt.attrs)
			noErrors(t, "map", diags)
			var resp validator.MapResponse
			instanceAttributesValidator{}.ValidateMap(context.Background(), validator.MapRequest{Path: path.Root("attributes"), ConfigValue: m}, &resp)
			if got := len(resp.Diagnostics.Errors()); got != tt.errs {
				t.Fatalf("got %d errors (%s), want %d", got, errorText(resp.Diagnostics), tt.errs)
			}
		})
	}
}

// A route table under a key the functions never read is refused at plan
// time instead of being applied and ignored.
func TestRoutesKeyValidator(t *testing.T) {
	for _, tt := range []struct {
		value types.String
		ok    bool
	}{
		{types.StringValue("config#routes"), true},
		{types.StringNull(), true},
		{types.StringUnknown(), true},
		{types.StringValue("config#canary"), false},
	} {
		var resp validator.StringResponse
		routesKeyValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("key"), ConfigValue: tt.value}, &resp)
		if resp.Diagnostics.HasError() == tt.ok {
			t.Errorf("%s: got errors %v, want ok=%v", tt.value, resp.Diagnostics, tt.ok)
		}
		if !tt.ok && !strings.Contains(errorText(resp.Diagnostics), "config#routes only") {
			t.Errorf("%s: the error does not say which key is read: %s", tt.value, errorText(resp.Diagnostics))
		}
	}
}
