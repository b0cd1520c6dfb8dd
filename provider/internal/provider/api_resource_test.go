package provider

import (
	"testing"
)

func TestAPISchema(t *testing.T) {
	s := resourceSchema(t, NewAPIResource())
	// A rename or a new stage updates in place; only the existing API to wire
	// into is the resource's identity.
	checkRequiresReplace(t, s, map[string]bool{"rest_api_id": true})
}

func TestAPIValidators(t *testing.T) {
	s := resourceSchema(t, NewAPIResource())
	ttlTests := []struct {
		ttl     int64
		wantErr bool
	}{
		{-1, true},
		{0, false},
		{300, false},
		{3600, false},
		{3601, true},
	}
	for _, tt := range ttlTests {
		diags := validateInt64(t, s, "authorizer_ttl", tt.ttl)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("authorizer_ttl=%d: got error %v, want %v (%s)", tt.ttl, got, tt.wantErr, errorText(diags))
		}
	}
	arnTests := []struct {
		arn     string
		wantErr bool
	}{
		{"arn:aws:lambda:us-east-1:000000000000:function:portico-authorizer", false},
		{"portico-authorizer", true},
		{"arn:aws:iam::000000000000:role/portico", true},
	}
	for _, attr := range []string{"authorizer_function_arn", "aggregator_function_arn"} {
		for _, tt := range arnTests {
			diags := validateString(t, s, attr, tt.arn)
			if got := diags.HasError(); got != tt.wantErr {
				t.Errorf("%s=%q: got error %v, want %v (%s)", attr, tt.arn, got, tt.wantErr, errorText(diags))
			}
		}
	}
}

func TestInvokeURL(t *testing.T) {
	tests := []struct {
		endpoint, region, id, stage, want string
	}{
		{"", "eu-west-1", "a1b2c3d4e5", "v1", "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1"},
		{"https://localhost:4566", "us-east-1", "abc123", "v1", "https://localhost:4566/_aws/execute-api/abc123/v1"},
		{"http://127.0.0.1:4610/", "us-east-1", "abc123", "prod", "http://127.0.0.1:4610/_aws/execute-api/abc123/prod"},
	}
	for _, tt := range tests {
		if got := invokeURL(tt.endpoint, tt.region, tt.id, tt.stage); got != tt.want {
			t.Errorf("invokeURL(%q, %q, %q, %q): got %q, want %q", tt.endpoint, tt.region, tt.id, tt.stage, got, tt.want)
		}
	}
}

func TestExecutionARNAndStatementID(t *testing.T) {
	c := caller{Partition: "aws", Account: "123456789012"}
	if got, want := c.executionARN("eu-west-1", "abc123"), "arn:aws:execute-api:eu-west-1:123456789012:abc123"; got != want {
		t.Errorf("executionARN: got %q, want %q", got, want)
	}
	a, b := statementID("abc123", "authorizer"), statementID("abc123", "aggregator")
	if a == b {
		t.Errorf("statement ids: got %q twice, want distinct ids per role", a)
	}
	if want := "portico-abc123-authorizer"; a != want {
		t.Errorf("statementID: got %q, want %q", a, want)
	}
	if other := statementID("def456", "authorizer"); other == a {
		t.Errorf("statement ids of two APIs: got %q twice, want distinct", a)
	}
}

func TestPickStage(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"prod"}, "prod"},
		{[]string{"prod", "v1", "dev"}, "v1"},
		{[]string{"prod", "dev"}, "dev"},
	}
	for _, tt := range tests {
		if got := pickStage(tt.names); got != tt.want {
			t.Errorf("pickStage(%v): got %q, want %q", tt.names, got, tt.want)
		}
	}
}
