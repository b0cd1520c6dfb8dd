package provider

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/internal/cors"
)

// CORS in portico_api: browsers send a preflight (OPTIONS, no credentials)
// before a cross-origin call with an Authorization header, which the
// authorizer would refuse with 401. So with a cors block the API gets an
// OPTIONS method on / and /{proxy+} without the authorizer, sent to the
// aggregator, which answers preflights from the same policy (its
// PORTICO_CORS) and adds the CORS headers to its answers. API Gateway's own
// answers (401, 403, 429, 5xx: gateway responses) carry the policy's headers
// too, as static values: they cannot depend on the request, so only a
// policy with one origin (or "*") can give them any.

// corsModel is portico_api's cors.
type corsModel struct {
	AllowOrigins     types.List  `tfsdk:"allow_origins"`
	AllowMethods     types.List  `tfsdk:"allow_methods"`
	AllowHeaders     types.List  `tfsdk:"allow_headers"`
	ExposeHeaders    types.List  `tfsdk:"expose_headers"`
	AllowCredentials types.Bool  `tfsdk:"allow_credentials"`
	MaxAge           types.Int64 `tfsdk:"max_age"`
}

// optionsMethod is the preflight's method.
const optionsMethod = http.MethodOptions

// corsGatewayTypes are the gateway responses that get the CORS headers
// beyond the ones the configuration customizes: every 4xx and 5xx API
// Gateway answers itself falls back to one of them.
var corsGatewayTypes = []string{"DEFAULT_4XX", "DEFAULT_5XX"}

func corsSchema() schema.SingleNestedAttribute {
	list := func(desc string) schema.ListAttribute {
		return schema.ListAttribute{MarkdownDescription: desc, ElementType: types.StringType, Optional: true,
			Validators: []validator.List{listvalidator.SizeAtLeast(1)}}
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Lets web pages of other origins call the API from a browser. Preflights (`OPTIONS`) reach the " +
			"aggregator without the authorizer (an `OPTIONS` method on `/` and `/{proxy+}`), which answers them from the " +
			"same policy: give the aggregator `PORTICO_CORS` = the policy as JSON (`allowOrigins`, `allowMethods`, " +
			"`allowHeaders`, `exposeHeaders`, `allowCredentials`, `maxAge`). The aggregator's answers carry the CORS headers " +
			"for an allowed origin and none for another. API Gateway's own answers (gateway responses `DEFAULT_4XX`, " +
			"`DEFAULT_5XX` and those in `gateway_responses`) carry the policy's headers as static values, which API Gateway " +
			"cannot vary by request: with one origin (or `*`) they name it, so its pages can read a 401 or a 429; with several " +
			"they carry none (the plan warns). Checked at plan time with the aggregator's own code: `*` with " +
			"`allow_credentials` is refused. Changes redeploy the stage.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"allow_origins": schema.ListAttribute{
				MarkdownDescription: "Origins whose pages may call the API, `scheme://host[:port]` (for example " +
					"`https://app.example.com`), or `[\"*\"]` for every origin.",
				ElementType: types.StringType,
				Required:    true,
				Validators:  []validator.List{listvalidator.SizeAtLeast(1)},
			},
			"allow_methods":  list("Methods pages may use beyond GET, HEAD and POST, for example `[\"PUT\", \"DELETE\"]`."),
			"allow_headers":  list("Request headers pages may send beyond the CORS-safelisted ones, for example `[\"Authorization\", \"Content-Type\"]`."),
			"expose_headers": list("Response headers pages may read beyond the CORS-safelisted ones, for example `[\"X-Request-Id\"]`."),
			"allow_credentials": schema.BoolAttribute{
				MarkdownDescription: "Let pages send cookies and client certificates (`credentials: \"include\"`). Defaults to false.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"max_age": schema.Int64Attribute{
				MarkdownDescription: "Seconds a browser may reuse a preflight's answer, 0 (not sent) to 86400. Defaults to 0.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(0),
				Validators:          []validator.Int64{int64validator.Between(0, cors.MaxAgeLimit)},
			},
		},
	}
}

// policy is the CORS policy m configures; ok is false while part of it is
// unknown.
func (m *corsModel) policy(ctx context.Context) (p *cors.Policy, ok bool, err error) {
	if m == nil {
		return nil, true, nil
	}
	p = &cors.Policy{AllowCredentials: m.AllowCredentials.ValueBool(), MaxAge: int(m.MaxAge.ValueInt64())}
	for _, f := range []struct {
		src types.List
		dst *[]string
	}{{m.AllowOrigins, &p.AllowOrigins}, {m.AllowMethods, &p.AllowMethods}, {m.AllowHeaders, &p.AllowHeaders}, {m.ExposeHeaders, &p.ExposeHeaders}} {
		if f.src.IsUnknown() || !fullyKnownList(f.src) {
			return nil, false, nil
		}
		if *f.dst, err = listStrings(ctx, f.src); err != nil {
			return nil, true, err
		}
	}
	if m.AllowCredentials.IsUnknown() || m.MaxAge.IsUnknown() {
		return nil, false, nil
	}
	return p, true, nil
}

// fullyKnownList reports whether a list holds no unknown value.
func fullyKnownList(l types.List) bool {
	if l.IsUnknown() {
		return false
	}
	v, err := l.ToTerraformValue(context.Background())
	return err == nil && v.IsFullyKnown()
}

// corsStatic is the static CORS headers of p for gateway responses: none
// without a policy or with several origins.
func corsStatic(p *cors.Policy) map[string]string {
	h, ok := p.Static()
	if !ok {
		return nil
	}
	out := map[string]string{}
	for k, vs := range h {
		out[k] = strings.Join(vs, ", ")
	}
	return out
}

// effectiveResponses are the gateway responses to put: the configured ones
// with the policy's static CORS headers added (a header the configuration
// sets wins), and DEFAULT_4XX and DEFAULT_5XX carrying only those headers
// unless configured.
func effectiveResponses(configured map[string]gatewayResponse, p *cors.Policy) map[string]gatewayResponse {
	static := corsStatic(p)
	if len(static) == 0 {
		return configured
	}
	out := make(map[string]gatewayResponse, len(configured)+len(corsGatewayTypes))
	for t, r := range configured {
		out[t] = withCORSHeaders(r, static)
	}
	for _, t := range corsGatewayTypes {
		if _, ok := out[t]; !ok {
			out[t] = gatewayResponse{Headers: maps.Clone(static)}
		}
	}
	return out
}

// withCORSHeaders is r with the CORS headers it does not set itself.
func withCORSHeaders(r gatewayResponse, static map[string]string) gatewayResponse {
	h := maps.Clone(r.Headers)
	if h == nil {
		h = map[string]string{}
	}
	for k, v := range static {
		if _, ok := headerKey(h, k); !ok {
			h[k] = v
		}
	}
	r.Headers = h
	return r
}

// headerKey finds name in h without case.
func headerKey(h map[string]string, name string) (string, bool) {
	for k := range h {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

// withoutCORS turns a gateway response read from API Gateway back into the
// configured one: the policy's CORS headers removed. missing lists the CORS
// headers the response should have but lacks (or has with another value),
// which a plan cannot show in gateway_responses and the next apply repairs.
// configuredHeaders is the configured response's headers (nil when it is not
// configured), whose own values win.
func withoutCORS(r gatewayResponse, static, configuredHeaders map[string]string) (out gatewayResponse, missing []string) {
	out = r
	if len(static) == 0 {
		return out, nil
	}
	h := maps.Clone(r.Headers)
	for name, want := range static {
		if _, own := headerKey(configuredHeaders, name); own {
			continue
		}
		k, ok := headerKey(h, name)
		if !ok || h[k] != want {
			missing = append(missing, name)
			continue
		}
		delete(h, k)
	}
	if len(h) == 0 && configuredHeaders == nil {
		h = nil
	}
	out.Headers = h
	return out, missing
}

// isBareResponse reports whether r customizes nothing but headers that were
// removed: a DEFAULT_4XX or DEFAULT_5XX the provider put for CORS only.
func isBareResponse(r gatewayResponse) bool {
	return r.StatusCode == "" && (r.Templates == nil || len(r.Templates) == 0 ||
		(len(r.Templates) == 1 && r.Templates["application/json"] == defaultGatewayTemplate)) && len(r.Headers) == 0
}

// putPreflightMethods adds OPTIONS to / and /{proxy+} without the
// authorizer, integrated with the aggregator.
func (r *APIResource) putPreflightMethods(ctx context.Context, data *APIResourceModel) error {
	apiID := data.ID.ValueString()
	for _, res := range []struct {
		id, path string
		params   map[string]bool
	}{
		{data.RootResourceID.ValueString(), "/", nil},
		{data.ProxyResourceID.ValueString(), proxyPath, map[string]bool{"method.request.path.proxy": true}},
	} {
		if res.id == "" {
			continue
		}
		tflog.Info(ctx, "adding the CORS preflight method", map[string]any{"api_id": apiID, "path": res.path})
		if _, err := r.gw.PutMethod(ctx, &apigateway.PutMethodInput{
			RestApiId: aws.String(apiID), ResourceId: aws.String(res.id), HttpMethod: aws.String(optionsMethod),
			AuthorizationType: aws.String("NONE"), RequestParameters: res.params,
		}); err != nil && !hasErrorCode(err, "ConflictException") {
			return fmt.Errorf("put method OPTIONS %s: %w", res.path, err)
		}
		if err := r.putIntegration(ctx, apiID, res.id, optionsMethod, data.AggregatorFunctionARN.ValueString(), data.IntegrationTimeout.ValueInt64()); err != nil {
			return fmt.Errorf("put integration OPTIONS %s: %w", res.path, err)
		}
	}
	return nil
}

// deletePreflightMethods removes the OPTIONS methods; missing ones are fine.
func (r *APIResource) deletePreflightMethods(ctx context.Context, data *APIResourceModel) error {
	apiID := data.ID.ValueString()
	for _, id := range []string{data.RootResourceID.ValueString(), data.ProxyResourceID.ValueString()} {
		if id == "" {
			continue
		}
		if _, err := r.gw.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String(id), HttpMethod: aws.String(optionsMethod)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete method OPTIONS on resource %s: %w", id, err)
		}
	}
	return nil
}
