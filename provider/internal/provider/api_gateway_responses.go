package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Gateway responses of portico_api: what API Gateway answers when it rejects
// a request itself (authorizer denial, throttling, ...) rather than passing it
// to the aggregator.

// headerParamPrefix is the responseParameters key prefix of a response header.
const headerParamPrefix = "gatewayresponse.header."

// defaultGatewayTemplate is the application/json template that API Gateway
// stores for a response put without templates.
const defaultGatewayTemplate = `{"message":$context.error.messageString}`

var (
	// statusCodePattern matches an HTTP status code API Gateway accepts.
	statusCodePattern = regexp.MustCompile(`^[1-5][0-9]{2}$`)
	// contentTypePattern matches a media type without parameters.
	contentTypePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$`)
	// headerNamePattern matches an HTTP header name (an RFC 9110 token).
	headerNamePattern = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
)

// gatewayResponseTypes is every response type API Gateway lets an API
// customize, in the order of the AWS documentation.
func gatewayResponseTypes() []string {
	values := apigwtypes.GatewayResponseType("").Values()
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// gatewayResponseModel is one element of gateway_responses.
type gatewayResponseModel struct {
	StatusCode types.String `tfsdk:"status_code"`
	Templates  types.Map    `tfsdk:"templates"`
	Headers    types.Map    `tfsdk:"headers"`
}

// gatewayResponseAttrTypes are the attribute types of gatewayResponseModel.
var gatewayResponseAttrTypes = map[string]attr.Type{
	"status_code": types.StringType,
	"templates":   types.MapType{ElemType: types.StringType},
	"headers":     types.MapType{ElemType: types.StringType},
}

// gatewayResponse is a gateway response as the provider compares and sends it.
// A nil Templates or Headers means the attribute is not set.
type gatewayResponse struct {
	StatusCode string
	Templates  map[string]string
	Headers    map[string]string
}

// equal reports whether r and o configure API Gateway the same way.
func (r gatewayResponse) equal(o gatewayResponse) bool {
	return r.StatusCode == o.StatusCode && maps.Equal(r.Templates, o.Templates) && maps.Equal(r.Headers, o.Headers)
}

func gatewayResponsesSchema() schema.MapNestedAttribute {
	return schema.MapNestedAttribute{
		MarkdownDescription: "Customized gateway responses: what API Gateway answers when it rejects a request itself " +
			"(for example `UNAUTHORIZED` when the `Authorization` header is missing, `ACCESS_DENIED` when the authorizer " +
			"denies). Keyed by response type, one of " + codeList(gatewayResponseTypes()) + ". " +
			"Types not listed keep API Gateway's defaults. Changes redeploy the stage, since gateway responses only take effect on deployment; " +
			"responses customized outside Terraform show as drift.",
		Optional:   true,
		Validators: []validator.Map{mapvalidator.KeysAre(stringvalidator.OneOf(gatewayResponseTypes()...))},
		NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"status_code": schema.StringAttribute{
					MarkdownDescription: "HTTP status code of the response, three digits from `100` to `599`, for example `\"401\"`.",
					Required:            true,
					Validators: []validator.String{stringvalidator.RegexMatches(statusCodePattern,
						`must be a three-digit HTTP status code from 100 to 599, for example "401"`)},
				},
				"templates": schema.MapAttribute{
					MarkdownDescription: "Body templates keyed by content type, usually just `application/json`, for example " +
						"`{ \"application/json\" = \"{\\\"message\\\":\\\"$context.authorizer.message\\\"}\" }`. " +
						"`$context` variables are substituted. Unset keeps API Gateway's default " +
						"`" + defaultGatewayTemplate + "` for `application/json`.",
					ElementType: types.StringType,
					Optional:    true,
					Validators: []validator.Map{
						mapvalidator.SizeAtLeast(1),
						mapvalidator.KeysAre(stringvalidator.RegexMatches(contentTypePattern,
							`must be a content type such as "application/json"`)),
					},
				},
				"headers": schema.MapAttribute{
					MarkdownDescription: "Response headers, name to static value, for example " +
						"`{ \"WWW-Authenticate\" = \"Bearer realm=\\\"portico\\\"\" }`. Write the value as it should reach the " +
						"client; the provider wraps it in the single quotes API Gateway expects for a static value (`'...'`). " +
						"A value cannot contain a single quote or a line break.",
					ElementType: types.StringType,
					Optional:    true,
					Validators: []validator.Map{
						mapvalidator.KeysAre(stringvalidator.RegexMatches(headerNamePattern,
							`must be an HTTP header name such as "WWW-Authenticate"`)),
						mapvalidator.ValueStringsAre(staticHeaderValueValidator{}),
					},
				},
			},
		},
	}
}

// codeList formats values as a Markdown list of code spans: `A`, `B`, `C`.
func codeList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	return strings.Join(quoted, ", ")
}

// staticHeaderValueValidator accepts header values that can be sent as an API
// Gateway static value.
type staticHeaderValueValidator struct{}

var _ validator.String = staticHeaderValueValidator{}

func (staticHeaderValueValidator) Description(context.Context) string {
	return "value must be a static header value without single quotes or line breaks " +
		"(API Gateway encloses static values in single quotes and has no escape for them)"
}

func (v staticHeaderValueValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v staticHeaderValueValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if s := req.ConfigValue.ValueString(); strings.ContainsAny(s, "'\r\n") {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid header value",
			fmt.Sprintf("Attribute %s %s, got: %q", req.Path, v.Description(ctx), s))
	}
}

// quoteHeaderValue turns a static header value into the mapping expression API
// Gateway expects: Bearer realm="x" becomes 'Bearer realm="x"'.
func quoteHeaderValue(v string) string {
	return "'" + v + "'"
}

// unquoteHeaderValue is the inverse of quoteHeaderValue. A value that is not
// quoted is a mapping expression such as method.request.header.Origin, set
// outside Terraform: it is returned as is with static=false.
func unquoteHeaderValue(expr string) (value string, static bool) {
	if len(expr) >= 2 && strings.HasPrefix(expr, "'") && strings.HasSuffix(expr, "'") {
		return expr[1 : len(expr)-1], true
	}
	return expr, false
}

// putGatewayResponseInput is the PutGatewayResponse request for one response.
func putGatewayResponseInput(apiID, responseType string, r gatewayResponse) *apigateway.PutGatewayResponseInput {
	in := &apigateway.PutGatewayResponseInput{
		RestApiId:         aws.String(apiID),
		ResponseType:      apigwtypes.GatewayResponseType(responseType),
		ResponseTemplates: r.Templates,
	}
	if r.StatusCode != "" {
		// None: the response type's own status (DEFAULT_4XX, DEFAULT_5XX).
		in.StatusCode = aws.String(r.StatusCode)
	}
	if len(r.Headers) > 0 {
		in.ResponseParameters = make(map[string]string, len(r.Headers))
		for name, v := range r.Headers {
			in.ResponseParameters[headerParamPrefix+name] = quoteHeaderValue(v)
		}
	}
	return in
}

// gatewayResponseFromAWS converts a customized response read from API Gateway.
// prior is the value in state or plan (nil after an import): an unset
// templates or headers attribute stays unset while API Gateway holds only its
// defaults, so that Terraform shows no difference.
func gatewayResponseFromAWS(ctx context.Context, gr apigwtypes.GatewayResponse, prior *gatewayResponse) gatewayResponse {
	out := gatewayResponse{StatusCode: aws.ToString(gr.StatusCode)}

	templates := gr.ResponseTemplates
	isDefault := len(templates) == 0 ||
		(len(templates) == 1 && templates["application/json"] == defaultGatewayTemplate)
	if !(isDefault && (prior == nil || prior.Templates == nil)) {
		out.Templates = maps.Clone(templates)
		if out.Templates == nil {
			out.Templates = map[string]string{}
		}
	}

	headers := map[string]string{}
	for k, expr := range gr.ResponseParameters {
		name, ok := strings.CutPrefix(k, headerParamPrefix)
		if !ok {
			tflog.Warn(ctx, "ignoring gateway response parameter that is not a header",
				map[string]any{"response_type": string(gr.ResponseType), "parameter": k})
			continue
		}
		v, static := unquoteHeaderValue(expr)
		if !static {
			tflog.Warn(ctx, "gateway response header is a mapping expression, not a static value",
				map[string]any{"response_type": string(gr.ResponseType), "header": name, "expression": expr})
		}
		headers[name] = v
	}
	if len(headers) > 0 || (prior != nil && prior.Headers != nil) {
		out.Headers = headers
	}
	return out
}

// diffGatewayResponses returns the response types to put (new or changed in
// want) and to delete (in have, not in want), each sorted.
func diffGatewayResponses(have, want map[string]gatewayResponse) (put, del []string) {
	for t, w := range want {
		if h, ok := have[t]; !ok || !h.equal(w) {
			put = append(put, t)
		}
	}
	for t := range have {
		if _, ok := want[t]; !ok {
			del = append(del, t)
		}
	}
	slices.Sort(put)
	slices.Sort(del)
	return put, del
}

// gatewayResponsesFrom converts the gateway_responses attribute; a null or
// unknown attribute is nil.
func gatewayResponsesFrom(ctx context.Context, m types.Map) (map[string]gatewayResponse, error) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	var models map[string]gatewayResponseModel
	if diags := m.ElementsAs(ctx, &models, false); diags.HasError() {
		return nil, fmt.Errorf("read gateway_responses: %v", diags)
	}
	out := make(map[string]gatewayResponse, len(models))
	for t, mdl := range models {
		r := gatewayResponse{StatusCode: mdl.StatusCode.ValueString()}
		for _, f := range []struct {
			src types.Map
			dst *map[string]string
		}{{mdl.Templates, &r.Templates}, {mdl.Headers, &r.Headers}} {
			if f.src.IsNull() || f.src.IsUnknown() {
				continue
			}
			*f.dst = map[string]string{}
			if diags := f.src.ElementsAs(ctx, f.dst, false); diags.HasError() {
				return nil, fmt.Errorf("read gateway_responses[%q]: %v", t, diags)
			}
		}
		out[t] = r
	}
	return out, nil
}

// gatewayResponsesValue converts responses into the gateway_responses
// attribute; nil is null.
func gatewayResponsesValue(ctx context.Context, responses map[string]gatewayResponse) (types.Map, error) {
	objType := types.ObjectType{AttrTypes: gatewayResponseAttrTypes}
	if responses == nil {
		return types.MapNull(objType), nil
	}
	models := make(map[string]gatewayResponseModel, len(responses))
	for t, r := range responses {
		mdl := gatewayResponseModel{
			StatusCode: types.StringValue(r.StatusCode),
			Templates:  types.MapNull(types.StringType),
			Headers:    types.MapNull(types.StringType),
		}
		for _, f := range []struct {
			src map[string]string
			dst *types.Map
		}{{r.Templates, &mdl.Templates}, {r.Headers, &mdl.Headers}} {
			if f.src == nil {
				continue
			}
			v, diags := types.MapValueFrom(ctx, types.StringType, f.src)
			if diags.HasError() {
				return types.MapNull(objType), fmt.Errorf("convert gateway_responses[%q]: %v", t, diags)
			}
			*f.dst = v
		}
		models[t] = mdl
	}
	v, diags := types.MapValueFrom(ctx, objType, models)
	if diags.HasError() {
		return types.MapNull(objType), fmt.Errorf("convert gateway_responses: %v", diags)
	}
	return v, nil
}

// putGatewayResponses puts the given response types of want.
func (r *APIResource) putGatewayResponses(ctx context.Context, apiID string, want map[string]gatewayResponse, responseTypes []string) error {
	for _, t := range responseTypes {
		tflog.Info(ctx, "putting gateway response", map[string]any{"api_id": apiID, "response_type": t})
		if _, err := r.gw.PutGatewayResponse(ctx, putGatewayResponseInput(apiID, t, want[t])); err != nil {
			return fmt.Errorf("put gateway response %s: %w", t, err)
		}
	}
	return nil
}

// deleteGatewayResponses resets the given response types to API Gateway's
// defaults; one already reset is fine.
func (r *APIResource) deleteGatewayResponses(ctx context.Context, apiID string, responseTypes []string) error {
	for _, t := range responseTypes {
		tflog.Info(ctx, "deleting gateway response", map[string]any{"api_id": apiID, "response_type": t})
		_, err := r.gw.DeleteGatewayResponse(ctx, &apigateway.DeleteGatewayResponseInput{
			RestApiId: aws.String(apiID), ResponseType: apigwtypes.GatewayResponseType(t),
		})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("delete gateway response %s: %w", t, err)
		}
	}
	return nil
}

// readGatewayResponses refreshes data.GatewayResponses with the customized
// responses (defaultResponse=false) of the API. In an existing API
// (rest_api_id) only the response types Portico manages are read: the
// owner's customizations are the owner's (all of them, after an import).
// The CORS headers the provider adds (cors) are taken out again, and a
// DEFAULT_4XX or DEFAULT_5XX it put only for them is left out; CORS headers
// that are missing go to repair.
func (r *APIResource) readGatewayResponses(ctx context.Context, data *APIResourceModel, imported bool, repair *[]string) error {
	apiID := data.ID.ValueString()
	prior, err := gatewayResponsesFrom(ctx, data.GatewayResponses)
	if err != nil {
		return err
	}
	managed := func(t string) bool {
		if !data.attached() || imported {
			return true
		}
		_, ok := prior[t]
		return ok
	}
	static := corsStatic(data.corsPolicy(ctx))
	got := map[string]gatewayResponse{}
	seen := map[string]bool{}
	in := &apigateway.GetGatewayResponsesInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)}
	for {
		out, err := r.gw.GetGatewayResponses(ctx, in)
		if err != nil {
			return fmt.Errorf("list gateway responses: %w", err)
		}
		for _, gr := range out.Items {
			if gr.DefaultResponse || !managed(string(gr.ResponseType)) {
				continue
			}
			t := string(gr.ResponseType)
			var p *gatewayResponse
			var configuredHeaders map[string]string
			if pr, ok := prior[t]; ok {
				p = &pr
				configuredHeaders = pr.Headers
			}
			read, missing := withoutCORS(gatewayResponseFromAWS(ctx, gr, p), static, configuredHeaders)
			if len(static) > 0 {
				seen[t] = true
			}
			if len(missing) > 0 {
				*repair = append(*repair, fmt.Sprintf("gateway response %s lacks the CORS header(s) %s", t, strings.Join(missing, ", ")))
			}
			if p == nil && slices.Contains(corsGatewayTypes, t) && len(static) > 0 && isBareResponse(read) {
				continue // put for CORS only
			}
			got[t] = read
		}
		if aws.ToString(out.Position) == "" || aws.ToString(out.Position) == aws.ToString(in.Position) {
			break
		}
		in.Position = out.Position
	}
	if len(static) > 0 && (!data.attached() || imported) {
		for _, t := range corsGatewayTypes {
			if !seen[t] {
				*repair = append(*repair, fmt.Sprintf("gateway response %s with the CORS headers is gone", t))
			}
		}
	}
	// None customized and none configured stays null rather than becoming {}.
	if len(got) == 0 && data.GatewayResponses.IsNull() {
		got = nil
	}
	v, err := gatewayResponsesValue(ctx, got)
	if err != nil {
		return err
	}
	data.GatewayResponses = v
	return nil
}
