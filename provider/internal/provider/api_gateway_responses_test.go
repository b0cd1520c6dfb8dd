package provider

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestGatewayResponseTypes(t *testing.T) {
	// The response types of
	// https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
	want := []string{
		"ACCESS_DENIED", "API_CONFIGURATION_ERROR", "AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE",
		"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "DEFAULT_4XX", "DEFAULT_5XX", "EXPIRED_TOKEN",
		"INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "INVALID_API_KEY", "INVALID_SIGNATURE",
		"MISSING_AUTHENTICATION_TOKEN", "QUOTA_EXCEEDED", "REQUEST_TOO_LARGE", "RESOURCE_NOT_FOUND",
		"THROTTLED", "UNAUTHORIZED", "UNSUPPORTED_MEDIA_TYPE", "WAF_FILTERED",
	}
	got := gatewayResponseTypes()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("gatewayResponseTypes: got %v, want %v", got, want)
	}
}

// gatewayResponsesAttr returns the gateway_responses attribute of portico_api.
func gatewayResponsesAttr(t *testing.T) schema.MapNestedAttribute {
	t.Helper()
	s := resourceSchema(t, NewAPIResource())
	a, ok := s.Attributes["gateway_responses"].(schema.MapNestedAttribute)
	if !ok {
		t.Fatalf("gateway_responses: got %T, want schema.MapNestedAttribute", s.Attributes["gateway_responses"])
	}
	if a.IsRequired() || !a.IsOptional() {
		t.Errorf("gateway_responses: got required, want optional")
	}
	return a
}

// runMapValidators runs validators on v at path p.
func runMapValidators(t *testing.T, validators []validator.Map, p path.Path, v types.Map) diag.Diagnostics {
	t.Helper()
	var diags diag.Diagnostics
	for _, val := range validators {
		var resp validator.MapResponse
		val.ValidateMap(context.Background(), validator.MapRequest{Path: p, PathExpression: p.Expression(), ConfigValue: v}, &resp)
		diags.Append(resp.Diagnostics...)
	}
	return diags
}

func stringMap(t *testing.T, m map[string]string) types.Map {
	t.Helper()
	v, diags := types.MapValueFrom(context.Background(), types.StringType, m)
	if diags.HasError() {
		t.Fatalf("map value: %v", diags)
	}
	return v
}

// checkDiags checks that diags has no error when want is "", else exactly one
// error whose detail is want.
func checkDiags(t *testing.T, what string, diags diag.Diagnostics, want string) {
	t.Helper()
	errs := diags.Errors()
	switch {
	case want == "" && len(errs) > 0:
		t.Errorf("%s: got %s, want no error", what, errorText(errs))
	case want != "" && len(errs) != 1:
		t.Errorf("%s: got %d errors (%s), want 1: %s", what, len(errs), errorText(errs), want)
	case want != "" && errs[0].Detail() != want:
		t.Errorf("%s: got message\n  %s\nwant\n  %s", what, errs[0].Detail(), want)
	}
}

func TestGatewayResponseTypeValidator(t *testing.T) {
	a := gatewayResponsesAttr(t)
	objType := types.ObjectType{AttrTypes: gatewayResponseAttrTypes}
	obj := types.ObjectValueMust(gatewayResponseAttrTypes, map[string]attr.Value{
		"status_code": types.StringValue("401"),
		"templates":   types.MapNull(types.StringType),
		"headers":     types.MapNull(types.StringType),
	})
	tests := []struct {
		key, wantErr string
	}{
		{"UNAUTHORIZED", ""},
		{"ACCESS_DENIED", ""},
		{"DEFAULT_4XX", ""},
		{"WAF_FILTERED", ""},
		{"unauthorized", `Attribute gateway_responses["unauthorized"] value must be one of: ` + quotedTypes() + `, got: "unauthorized"`},
		{"NOT_A_TYPE", `Attribute gateway_responses["NOT_A_TYPE"] value must be one of: ` + quotedTypes() + `, got: "NOT_A_TYPE"`},
	}
	for _, tt := range tests {
		m := types.MapValueMust(objType, map[string]attr.Value{tt.key: obj})
		diags := runMapValidators(t, a.Validators, path.Root("gateway_responses"), m)
		checkDiags(t, "key "+tt.key, diags, tt.wantErr)
	}
}

// quotedTypes is the list of response types as OneOf prints it.
func quotedTypes() string {
	s := "["
	for i, v := range gatewayResponseTypes() {
		if i > 0 {
			s += " "
		}
		s += `"` + v + `"`
	}
	return s + "]"
}

func TestGatewayResponseStatusCodeValidator(t *testing.T) {
	a := gatewayResponsesAttr(t)
	sc, ok := a.NestedObject.Attributes["status_code"].(schema.StringAttribute)
	if !ok || !sc.IsRequired() {
		t.Fatalf("status_code: got %T required=%v, want a required string", a.NestedObject.Attributes["status_code"], ok && sc.IsRequired())
	}
	p := path.Root("gateway_responses").AtMapKey("UNAUTHORIZED").AtName("status_code")
	const rule = `must be a three-digit HTTP status code from 100 to 599, for example "401"`
	tests := []struct {
		code, wantErr string
	}{
		{"401", ""},
		{"100", ""},
		{"599", ""},
		{"600", `Attribute gateway_responses["UNAUTHORIZED"].status_code ` + rule + `, got: 600`},
		{"099", `Attribute gateway_responses["UNAUTHORIZED"].status_code ` + rule + `, got: 099`},
		{"40", `Attribute gateway_responses["UNAUTHORIZED"].status_code ` + rule + `, got: 40`},
		{"4011", `Attribute gateway_responses["UNAUTHORIZED"].status_code ` + rule + `, got: 4011`},
		{"4x1", `Attribute gateway_responses["UNAUTHORIZED"].status_code ` + rule + `, got: 4x1`},
		{"", `Attribute gateway_responses["UNAUTHORIZED"].status_code ` + rule + `, got: `},
	}
	for _, tt := range tests {
		var diags diag.Diagnostics
		for _, v := range sc.Validators {
			var resp validator.StringResponse
			v.ValidateString(context.Background(), validator.StringRequest{Path: p, ConfigValue: types.StringValue(tt.code)}, &resp)
			diags.Append(resp.Diagnostics...)
		}
		checkDiags(t, "status_code "+tt.code, diags, tt.wantErr)
	}
}

func TestGatewayResponseTemplatesValidator(t *testing.T) {
	a := gatewayResponsesAttr(t)
	tm, ok := a.NestedObject.Attributes["templates"].(schema.MapAttribute)
	if !ok || !tm.IsOptional() {
		t.Fatalf("templates: got %T, want an optional map", a.NestedObject.Attributes["templates"])
	}
	p := path.Root("gateway_responses").AtMapKey("UNAUTHORIZED").AtName("templates")
	tests := []struct {
		name      string
		templates map[string]string
		wantErr   string
	}{
		{"json", map[string]string{"application/json": `{"message":"Missing token"}`}, ""},
		{"two types", map[string]string{"application/json": "{}", "text/plain": "no"}, ""},
		{"vendor type", map[string]string{"application/vnd.api+json": "{}"}, ""},
		{"empty", map[string]string{}, `Attribute gateway_responses["UNAUTHORIZED"].templates map must contain at least 1 elements, got: 0`},
		{"no slash", map[string]string{"json": "{}"},
			`Attribute gateway_responses["UNAUTHORIZED"].templates["json"] must be a content type such as "application/json", got: json`},
		{"parameters", map[string]string{"application/json; charset=utf-8": "{}"},
			`Attribute gateway_responses["UNAUTHORIZED"].templates["application/json; charset=utf-8"] must be a content type such as "application/json", got: application/json; charset=utf-8`},
	}
	for _, tt := range tests {
		diags := runMapValidators(t, tm.Validators, p, stringMap(t, tt.templates))
		checkDiags(t, "templates "+tt.name, diags, tt.wantErr)
	}
}

func TestGatewayResponseHeadersValidator(t *testing.T) {
	a := gatewayResponsesAttr(t)
	hm, ok := a.NestedObject.Attributes["headers"].(schema.MapAttribute)
	if !ok || !hm.IsOptional() {
		t.Fatalf("headers: got %T, want an optional map", a.NestedObject.Attributes["headers"])
	}
	p := path.Root("gateway_responses").AtMapKey("ACCESS_DENIED").AtName("headers")
	const valueRule = "value must be a static header value without single quotes or line breaks " +
		"(API Gateway encloses static values in single quotes and has no escape for them)"
	tests := []struct {
		name    string
		headers map[string]string
		wantErr string
	}{
		{"bearer", map[string]string{"WWW-Authenticate": `Bearer realm="portico"`}, ""},
		{"bearer error", map[string]string{"WWW-Authenticate": `Bearer realm="portico", error="invalid_token"`}, ""},
		{"several", map[string]string{"Cache-Control": "no-store", "X-Portico": "1"}, ""},
		{"empty value", map[string]string{"X-Empty": ""}, ""},
		{"empty map", map[string]string{}, ""},
		{"space in name", map[string]string{"WWW Authenticate": "x"},
			`Attribute gateway_responses["ACCESS_DENIED"].headers["WWW Authenticate"] must be an HTTP header name such as "WWW-Authenticate", got: WWW Authenticate`},
		{"colon in name", map[string]string{"X-A:": "x"},
			`Attribute gateway_responses["ACCESS_DENIED"].headers["X-A:"] must be an HTTP header name such as "WWW-Authenticate", got: X-A:`},
		{"single quote", map[string]string{"X-Note": "it's"},
			`Attribute gateway_responses["ACCESS_DENIED"].headers["X-Note"] ` + valueRule + `, got: "it's"`},
		{"line break", map[string]string{"X-Note": "a\r\nSet-Cookie: x=1"},
			`Attribute gateway_responses["ACCESS_DENIED"].headers["X-Note"] ` + valueRule + `, got: "a\r\nSet-Cookie: x=1"`},
	}
	for _, tt := range tests {
		diags := runMapValidators(t, hm.Validators, p, stringMap(t, tt.headers))
		checkDiags(t, "headers "+tt.name, diags, tt.wantErr)
	}
}

func TestQuoteHeaderValue(t *testing.T) {
	tests := []struct {
		value, quoted string
	}{
		{`Bearer realm="portico"`, `'Bearer realm="portico"'`},
		{`Bearer realm="portico", error="invalid_token"`, `'Bearer realm="portico", error="invalid_token"'`},
		{"*", "'*'"},
		{"", "''"},
	}
	for _, tt := range tests {
		if got := quoteHeaderValue(tt.value); got != tt.quoted {
			t.Errorf("quoteHeaderValue(%q): got %q, want %q", tt.value, got, tt.quoted)
		}
		got, static := unquoteHeaderValue(tt.quoted)
		if got != tt.value || !static {
			t.Errorf("unquoteHeaderValue(%q): got %q, %v; want %q, true", tt.quoted, got, static, tt.value)
		}
	}
}

func TestUnquoteHeaderValueExpression(t *testing.T) {
	for _, expr := range []string{"method.request.header.Origin", "'", "'half", "half'", ""} {
		got, static := unquoteHeaderValue(expr)
		if got != expr || static {
			t.Errorf("unquoteHeaderValue(%q): got %q, %v; want %q, false", expr, got, static, expr)
		}
	}
}

func TestPutGatewayResponseInput(t *testing.T) {
	in := putGatewayResponseInput("abc123", "ACCESS_DENIED", gatewayResponse{
		StatusCode: "401",
		Templates:  map[string]string{"application/json": `{"message":"$context.authorizer.message"}`},
		Headers:    map[string]string{"WWW-Authenticate": `Bearer realm="portico", error="invalid_token"`},
	})
	if got := aws.ToString(in.RestApiId); got != "abc123" {
		t.Errorf("RestApiId: got %q, want abc123", got)
	}
	if in.ResponseType != apigwtypes.GatewayResponseTypeAccessDenied {
		t.Errorf("ResponseType: got %q, want ACCESS_DENIED", in.ResponseType)
	}
	if got := aws.ToString(in.StatusCode); got != "401" {
		t.Errorf("StatusCode: got %q, want 401", got)
	}
	wantParams := map[string]string{"gatewayresponse.header.WWW-Authenticate": `'Bearer realm="portico", error="invalid_token"'`}
	if !maps.Equal(in.ResponseParameters, wantParams) {
		t.Errorf("ResponseParameters: got %v, want %v", in.ResponseParameters, wantParams)
	}
	wantTemplates := map[string]string{"application/json": `{"message":"$context.authorizer.message"}`}
	if !maps.Equal(in.ResponseTemplates, wantTemplates) {
		t.Errorf("ResponseTemplates: got %v, want %v", in.ResponseTemplates, wantTemplates)
	}

	bare := putGatewayResponseInput("abc123", "UNAUTHORIZED", gatewayResponse{StatusCode: "401"})
	if bare.ResponseParameters != nil || bare.ResponseTemplates != nil {
		t.Errorf("no headers or templates: got parameters %v, templates %v; want nil, nil", bare.ResponseParameters, bare.ResponseTemplates)
	}
}

func TestGatewayResponseFromAWS(t *testing.T) {
	defaults := map[string]string{"application/json": defaultGatewayTemplate}
	custom := map[string]string{"application/json": `{"message":"Missing token"}`}
	tests := []struct {
		name  string
		aws   apigwtypes.GatewayResponse
		prior *gatewayResponse
		want  gatewayResponse
	}{
		{
			name: "configured",
			aws: apigwtypes.GatewayResponse{StatusCode: aws.String("401"), ResponseTemplates: custom,
				ResponseParameters: map[string]string{"gatewayresponse.header.WWW-Authenticate": `'Bearer realm="portico"'`}},
			prior: &gatewayResponse{StatusCode: "401", Templates: custom, Headers: map[string]string{"WWW-Authenticate": `Bearer realm="portico"`}},
			want:  gatewayResponse{StatusCode: "401", Templates: custom, Headers: map[string]string{"WWW-Authenticate": `Bearer realm="portico"`}},
		},
		{
			name:  "default template, templates unset",
			aws:   apigwtypes.GatewayResponse{StatusCode: aws.String("401"), ResponseTemplates: defaults},
			prior: &gatewayResponse{StatusCode: "401"},
			want:  gatewayResponse{StatusCode: "401"},
		},
		{
			name:  "no template, templates unset",
			aws:   apigwtypes.GatewayResponse{StatusCode: aws.String("401")},
			prior: &gatewayResponse{StatusCode: "401"},
			want:  gatewayResponse{StatusCode: "401"},
		},
		{
			name:  "default template written out",
			aws:   apigwtypes.GatewayResponse{StatusCode: aws.String("401"), ResponseTemplates: defaults},
			prior: &gatewayResponse{StatusCode: "401", Templates: defaults},
			want:  gatewayResponse{StatusCode: "401", Templates: defaults},
		},
		{
			name:  "template changed outside Terraform",
			aws:   apigwtypes.GatewayResponse{StatusCode: aws.String("401"), ResponseTemplates: custom},
			prior: &gatewayResponse{StatusCode: "401"},
			want:  gatewayResponse{StatusCode: "401", Templates: custom},
		},
		{
			name:  "headers removed outside Terraform",
			aws:   apigwtypes.GatewayResponse{StatusCode: aws.String("403")},
			prior: &gatewayResponse{StatusCode: "401", Headers: map[string]string{"X-A": "1"}},
			want:  gatewayResponse{StatusCode: "403", Headers: map[string]string{}},
		},
		{
			name: "imported, mapping expression and non-header parameter",
			aws: apigwtypes.GatewayResponse{StatusCode: aws.String("429"), ResponseTemplates: defaults,
				ResponseParameters: map[string]string{
					"gatewayresponse.header.Access-Control-Allow-Origin": "method.request.header.Origin",
					"gatewayresponse.header.Retry-After":                 "'60'",
					"gatewayresponse.querystring.x":                      "'y'",
				}},
			want: gatewayResponse{StatusCode: "429", Headers: map[string]string{
				"Access-Control-Allow-Origin": "method.request.header.Origin",
				"Retry-After":                 "60",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := gatewayResponseFromAWS(context.Background(), tt.aws, tt.prior)
			if !got.equal(tt.want) || (got.Templates == nil) != (tt.want.Templates == nil) || (got.Headers == nil) != (tt.want.Headers == nil) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDiffGatewayResponses(t *testing.T) {
	unauth := gatewayResponse{StatusCode: "401", Templates: map[string]string{"application/json": `{"message":"Missing token"}`}}
	denied := gatewayResponse{StatusCode: "401", Headers: map[string]string{"WWW-Authenticate": "Bearer"}}
	deniedNewHeader := gatewayResponse{StatusCode: "401", Headers: map[string]string{"WWW-Authenticate": `Bearer realm="portico"`}}
	tests := []struct {
		name          string
		have, want    map[string]gatewayResponse
		wantPut, wDel []string
	}{
		{"create", nil, map[string]gatewayResponse{"UNAUTHORIZED": unauth, "ACCESS_DENIED": denied}, []string{"ACCESS_DENIED", "UNAUTHORIZED"}, nil},
		{"unchanged", map[string]gatewayResponse{"UNAUTHORIZED": unauth}, map[string]gatewayResponse{"UNAUTHORIZED": unauth}, nil, nil},
		{"changed header", map[string]gatewayResponse{"ACCESS_DENIED": denied, "UNAUTHORIZED": unauth},
			map[string]gatewayResponse{"ACCESS_DENIED": deniedNewHeader, "UNAUTHORIZED": unauth}, []string{"ACCESS_DENIED"}, nil},
		{"removed", map[string]gatewayResponse{"ACCESS_DENIED": denied, "UNAUTHORIZED": unauth},
			map[string]gatewayResponse{"UNAUTHORIZED": unauth}, nil, []string{"ACCESS_DENIED"}},
		{"all removed", map[string]gatewayResponse{"ACCESS_DENIED": denied, "UNAUTHORIZED": unauth}, nil, nil, []string{"ACCESS_DENIED", "UNAUTHORIZED"}},
		{"templates unset", map[string]gatewayResponse{"UNAUTHORIZED": unauth},
			map[string]gatewayResponse{"UNAUTHORIZED": {StatusCode: "401"}}, []string{"UNAUTHORIZED"}, nil},
	}
	for _, tt := range tests {
		put, del := diffGatewayResponses(tt.have, tt.want)
		if !slices.Equal(put, tt.wantPut) || !slices.Equal(del, tt.wDel) {
			t.Errorf("%s: got put %v, delete %v; want put %v, delete %v", tt.name, put, del, tt.wantPut, tt.wDel)
		}
	}
}

func TestGatewayResponsesValueRoundTrip(t *testing.T) {
	ctx := context.Background()
	tests := []map[string]gatewayResponse{
		nil,
		{},
		{
			"UNAUTHORIZED": {StatusCode: "401", Templates: map[string]string{"application/json": `{"message":"Missing token"}`},
				Headers: map[string]string{"WWW-Authenticate": `Bearer realm="portico"`}},
			"THROTTLED":     {StatusCode: "429"},
			"ACCESS_DENIED": {StatusCode: "401", Headers: map[string]string{}},
		},
	}
	for _, in := range tests {
		v, err := gatewayResponsesValue(ctx, in)
		if err != nil {
			t.Fatalf("gatewayResponsesValue(%v): %v", in, err)
		}
		if v.IsNull() != (in == nil) {
			t.Errorf("gatewayResponsesValue(%v): got null=%v, want %v", in, v.IsNull(), in == nil)
		}
		got, err := gatewayResponsesFrom(ctx, v)
		if err != nil {
			t.Fatalf("gatewayResponsesFrom: %v", err)
		}
		if (got == nil) != (in == nil) || len(got) != len(in) {
			t.Fatalf("round trip of %v: got %v", in, got)
		}
		for k, want := range in {
			g := got[k]
			if !g.equal(want) || (g.Templates == nil) != (want.Templates == nil) || (g.Headers == nil) != (want.Headers == nil) {
				t.Errorf("round trip %s: got %#v, want %#v", k, g, want)
			}
		}
	}
}
