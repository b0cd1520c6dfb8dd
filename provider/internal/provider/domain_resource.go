package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ resource.Resource                = &DomainResource{}
	_ resource.ResourceWithConfigure   = &DomainResource{}
	_ resource.ResourceWithImportState = &DomainResource{}
	_ resource.ResourceWithModifyPlan  = &DomainResource{}
)

// noBasePath is how API Gateway names the empty base path.
const noBasePath = "(none)"

var (
	// domainNamePattern matches a DNS name (a custom domain).
	domainNamePattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	// acmCertificateARNPattern matches an ACM certificate ARN.
	acmCertificateARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$`)
	// basePathPattern matches a base path (no leading slash).
	basePathPattern = regexp.MustCompile(`^[A-Za-z0-9._~:@!$&'()*+,;=-]+(/[A-Za-z0-9._~:@!$&'()*+,;=-]+)*$`)
)

// domainAPI is the part of the API Gateway client portico_domain uses.
type domainAPI interface {
	CreateDomainName(ctx context.Context, in *apigateway.CreateDomainNameInput, opts ...func(*apigateway.Options)) (*apigateway.CreateDomainNameOutput, error)
	GetDomainName(ctx context.Context, in *apigateway.GetDomainNameInput, opts ...func(*apigateway.Options)) (*apigateway.GetDomainNameOutput, error)
	UpdateDomainName(ctx context.Context, in *apigateway.UpdateDomainNameInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateDomainNameOutput, error)
	DeleteDomainName(ctx context.Context, in *apigateway.DeleteDomainNameInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteDomainNameOutput, error)
	CreateBasePathMapping(ctx context.Context, in *apigateway.CreateBasePathMappingInput, opts ...func(*apigateway.Options)) (*apigateway.CreateBasePathMappingOutput, error)
	GetBasePathMapping(ctx context.Context, in *apigateway.GetBasePathMappingInput, opts ...func(*apigateway.Options)) (*apigateway.GetBasePathMappingOutput, error)
	DeleteBasePathMapping(ctx context.Context, in *apigateway.DeleteBasePathMappingInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteBasePathMappingOutput, error)
}

var _ domainAPI = (*apigateway.Client)(nil)

// DomainResource manages a regional custom domain name of API Gateway and
// the base path mapping that sends it to a Portico stage.
type DomainResource struct {
	api      domainAPI
	tags     apigwTagAPI
	region   string
	defaults map[string]string
}

// DomainResourceModel is the state of a portico_domain.
type DomainResourceModel struct {
	ID                   types.String `tfsdk:"id"`
	DomainName           types.String `tfsdk:"domain_name"`
	CertificateARN       types.String `tfsdk:"certificate_arn"`
	SecurityPolicy       types.String `tfsdk:"security_policy"`
	RestAPIID            types.String `tfsdk:"rest_api_id"`
	StageName            types.String `tfsdk:"stage_name"`
	BasePath             types.String `tfsdk:"base_path"`
	RegionalDomainName   types.String `tfsdk:"regional_domain_name"`
	RegionalHostedZoneID types.String `tfsdk:"regional_hosted_zone_id"`
	URL                  types.String `tfsdk:"url"`
	Tags                 types.Map    `tfsdk:"tags"`
	TagsAll              types.Map    `tfsdk:"tags_all"`
}

// NewDomainResource returns a portico_domain resource.
func NewDomainResource() resource.Resource {
	return &DomainResource{}
}

func (r *DomainResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_domain"
}

func (r *DomainResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A regional custom domain name for a Portico API (`https://api.example.com` instead of " +
			"`https://<id>.execute-api.<region>.amazonaws.com/<stage>`), with its base path mapping to the stage. The ACM " +
			"certificate must be in the API's region and cover the name. Point the name at `regional_domain_name` (a CNAME, " +
			"or a Route 53 alias record with `regional_hosted_zone_id`), then call `url`. The certificate, the security policy " +
			"and the mapping's API and stage change in place; the mapping and the tags are read back (drift).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The domain name.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"domain_name": schema.StringAttribute{
				MarkdownDescription: "The custom domain name, lower case, for example `api.example.com`. Changing it replaces the domain.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.RegexMatches(domainNamePattern, "must be a lower-case DNS name such as api.example.com")},
			},
			"certificate_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the ACM certificate for the name, in the API's region (a regional endpoint does not use us-east-1's).",
				Required:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(acmCertificateARNPattern, "must be an ACM certificate ARN")},
			},
			"security_policy": schema.StringAttribute{
				MarkdownDescription: "TLS security policy of the name. Defaults to `TLS_1_2`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString("TLS_1_2"),
				Validators:          []validator.String{stringvalidator.OneOf("TLS_1_0", "TLS_1_2")},
			},
			"rest_api_id": schema.StringAttribute{
				MarkdownDescription: "The REST API the name serves, usually `portico_api.<name>.id`.",
				Required:            true,
				Validators:          []validator.String{restAPIIDValidator},
			},
			"stage_name": schema.StringAttribute{
				MarkdownDescription: "The stage the name serves, usually `portico_api.<name>.stage_name`.",
				Required:            true,
				Validators:          []validator.String{stageNameValidator},
			},
			"base_path": schema.StringAttribute{
				MarkdownDescription: "Path under the name where the stage is served, without a leading slash (`v1` serves " +
					"`https://<name>/v1/...`); empty (the default) serves it at the root. Changing it moves the mapping in place.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(""),
				Validators: []validator.String{stringvalidator.Any(stringvalidator.LengthAtMost(0), stringvalidator.RegexMatches(basePathPattern, "must be a path without a leading or trailing slash"))},
			},
			"regional_domain_name": schema.StringAttribute{
				MarkdownDescription: "The name to point the custom domain at (CNAME or alias target).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"regional_hosted_zone_id": schema.StringAttribute{
				MarkdownDescription: "Route 53 hosted zone of `regional_domain_name`, for an alias record.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"url": schema.StringAttribute{
				MarkdownDescription: "The URL to call: `https://<domain_name>[/<base_path>]`.",
				Computed:            true,
			},
			"tags":     tagsAttribute(),
			"tags_all": tagsAllAttribute(),
		},
	}
}

func (r *DomainResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if c := clientsFrom(req.ProviderData, &resp.Diagnostics); c != nil {
		r.api, r.tags, r.region, r.defaults = c.APIGateway, c.APIGateway, c.Region, c.DefaultTags
	}
}

// ModifyPlan plans tags_all and the URL.
func (r *DomainResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	modifyPlanTags(ctx, req, resp, r.defaults)
	if req.Plan.Raw.IsNull() {
		return
	}
	var name, base types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("domain_name"), &name)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("base_path"), &base)...)
	url := types.StringUnknown()
	if !name.IsUnknown() && !base.IsUnknown() {
		url = types.StringValue(domainURL(name.ValueString(), base.ValueString()))
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("url"), url)...)
}

// domainURL is the URL of a stage mapped at base under name.
func domainURL(name, base string) string {
	if base == "" {
		return "https://" + name
	}
	return "https://" + name + "/" + base
}

// apiBasePath is the base path as API Gateway names it.
func apiBasePath(base string) string {
	if base == "" {
		return noBasePath
	}
	return base
}

func (r *DomainResource) domainARN(name string) string {
	return apigwARN(partitionOf(r.region), r.region, "/domainnames/"+name)
}

// partitionOf is the AWS partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (r *DomainResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data DomainResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := data.DomainName.ValueString()
	tags, err := wantedTags(ctx, r.defaults, data.Tags)
	if err != nil {
		resp.Diagnostics.AddError("Invalid tags", err.Error())
		return
	}
	tflog.Info(ctx, "creating custom domain name", map[string]any{"name": name})
	if _, err := r.api.CreateDomainName(ctx, &apigateway.CreateDomainNameInput{
		DomainName:             aws.String(name),
		RegionalCertificateArn: aws.String(data.CertificateARN.ValueString()),
		EndpointConfiguration:  &apigwtypes.EndpointConfiguration{Types: []apigwtypes.EndpointType{apigwtypes.EndpointTypeRegional}},
		SecurityPolicy:         apigwtypes.SecurityPolicy(data.SecurityPolicy.ValueString()),
		Tags:                   nonEmpty(tags),
	}); err != nil {
		addAWSError(&resp.Diagnostics, "create", "custom domain name", name, err)
		return
	}
	data.ID = types.StringValue(name)
	if r.tags != nil && len(tags) > 0 {
		// Tagged again through TagResource, which GetTags reads: MiniStack
		// keeps a domain's creation tags apart from it (AWS does not).
		if _, err := applyTags(ctx, apigwTags{r.tags}, r.domainARN(name), r.defaults, data.Tags, types.MapNull(types.StringType)); err != nil {
			addAWSError(&resp.Diagnostics, "tag", "custom domain name", name, err)
			r.saveTainted(ctx, resp, data)
			return
		}
	}
	if err := r.createMapping(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "map", "custom domain name", name, err)
		r.saveTainted(ctx, resp, data)
		return
	}
	if err := r.read(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "read", "custom domain name", name, err)
		r.saveTainted(ctx, resp, data)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// saveTainted keeps a domain that exists but failed to settle in state.
func (r *DomainResource) saveTainted(ctx context.Context, resp *resource.CreateResponse, data DomainResourceModel) {
	nullUnknowns(&data.TagsAll, &data.RegionalDomainName, &data.RegionalHostedZoneID, &data.URL)
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *DomainResource) createMapping(ctx context.Context, data *DomainResourceModel) error {
	_, err := r.api.CreateBasePathMapping(ctx, &apigateway.CreateBasePathMappingInput{
		DomainName: aws.String(data.DomainName.ValueString()),
		RestApiId:  aws.String(data.RestAPIID.ValueString()),
		Stage:      aws.String(data.StageName.ValueString()),
		BasePath:   aws.String(apiBasePath(data.BasePath.ValueString())),
	})
	if err != nil {
		return fmt.Errorf("create base path mapping %q: %w", apiBasePath(data.BasePath.ValueString()), err)
	}
	return nil
}

// read refreshes data; isNotFound recognises a missing domain.
func (r *DomainResource) read(ctx context.Context, data *DomainResourceModel) error {
	name := data.ID.ValueString()
	out, err := r.api.GetDomainName(ctx, &apigateway.GetDomainNameInput{DomainName: aws.String(name)})
	if err != nil {
		return err
	}
	data.DomainName = types.StringValue(aws.ToString(out.DomainName))
	data.CertificateARN = types.StringValue(aws.ToString(out.RegionalCertificateArn))
	data.SecurityPolicy = types.StringValue(string(out.SecurityPolicy))
	data.RegionalDomainName = types.StringValue(aws.ToString(out.RegionalDomainName))
	data.RegionalHostedZoneID = types.StringValue(aws.ToString(out.RegionalHostedZoneId))
	data.URL = types.StringValue(domainURL(name, data.BasePath.ValueString()))
	m, err := r.api.GetBasePathMapping(ctx, &apigateway.GetBasePathMappingInput{DomainName: aws.String(name), BasePath: aws.String(apiBasePath(data.BasePath.ValueString()))})
	switch {
	case isNotFound(err):
		// The mapping is gone: the plan maps the name again.
		data.RestAPIID, data.StageName = types.StringNull(), types.StringNull()
	case err != nil:
		return fmt.Errorf("get base path mapping: %w", err)
	default:
		data.RestAPIID, data.StageName = types.StringValue(aws.ToString(m.RestApiId)), types.StringValue(aws.ToString(m.Stage))
	}
	if r.tags == nil {
		data.Tags, data.TagsAll = typedMap(data.Tags), types.MapNull(types.StringType)
		return nil
	}
	data.Tags = typedMap(data.Tags)
	return readTags(ctx, apigwTags{r.tags}, r.domainARN(name), r.defaults, &data.Tags, &data.TagsAll)
}

func (r *DomainResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data DomainResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.read(ctx, &data)
	if isNotFound(err) {
		tflog.Warn(ctx, "custom domain name is gone, removing it from state", map[string]any{"name": data.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "custom domain name", data.ID.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// domainPatch is the UpdateDomainName patch from state to plan.
func domainPatch(plan, state DomainResourceModel) []apigwtypes.PatchOperation {
	var ops []apigwtypes.PatchOperation
	if !plan.CertificateARN.Equal(state.CertificateARN) {
		ops = append(ops, apigwtypes.PatchOperation{Op: apigwtypes.OpReplace, Path: aws.String("/regionalCertificateArn"), Value: aws.String(plan.CertificateARN.ValueString())})
	}
	if !plan.SecurityPolicy.Equal(state.SecurityPolicy) {
		ops = append(ops, apigwtypes.PatchOperation{Op: apigwtypes.OpReplace, Path: aws.String("/securityPolicy"), Value: aws.String(plan.SecurityPolicy.ValueString())})
	}
	return ops
}

func (r *DomainResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state DomainResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.ID.ValueString()
	plan.ID = state.ID
	if ops := domainPatch(plan, state); len(ops) > 0 {
		tflog.Info(ctx, "updating custom domain name", map[string]any{"name": name})
		if _, err := r.api.UpdateDomainName(ctx, &apigateway.UpdateDomainNameInput{DomainName: aws.String(name), PatchOperations: ops}); err != nil {
			addAWSError(&resp.Diagnostics, "update", "custom domain name", name, err)
			return
		}
	}
	if !plan.RestAPIID.Equal(state.RestAPIID) || !plan.StageName.Equal(state.StageName) || !plan.BasePath.Equal(state.BasePath) {
		// A new mapping in place of the old one: the name serves the new
		// stage from the moment it is created.
		tflog.Info(ctx, "re-mapping custom domain name", map[string]any{"name": name, "api": plan.RestAPIID.ValueString(), "stage": plan.StageName.ValueString()})
		if _, err := r.api.DeleteBasePathMapping(ctx, &apigateway.DeleteBasePathMappingInput{DomainName: aws.String(name), BasePath: aws.String(apiBasePath(state.BasePath.ValueString()))}); err != nil && !isNotFound(err) {
			addAWSError(&resp.Diagnostics, "re-map", "custom domain name", name, err)
			return
		}
		if err := r.createMapping(ctx, &plan); err != nil {
			addAWSError(&resp.Diagnostics, "re-map", "custom domain name", name, err)
			return
		}
	}
	if r.tags != nil && !plan.TagsAll.Equal(state.TagsAll) {
		if _, err := applyTags(ctx, apigwTags{r.tags}, r.domainARN(name), r.defaults, plan.Tags, state.TagsAll); err != nil {
			addAWSError(&resp.Diagnostics, "tag", "custom domain name", name, err)
			return
		}
	}
	if err := r.read(ctx, &plan); err != nil {
		addAWSError(&resp.Diagnostics, "read", "custom domain name", name, err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *DomainResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data DomainResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := data.ID.ValueString()
	if _, err := r.api.DeleteBasePathMapping(ctx, &apigateway.DeleteBasePathMappingInput{DomainName: aws.String(name), BasePath: aws.String(apiBasePath(data.BasePath.ValueString()))}); err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "unmap", "custom domain name", name, err)
		return
	}
	tflog.Info(ctx, "deleting custom domain name", map[string]any{"name": name})
	if _, err := r.api.DeleteDomainName(ctx, &apigateway.DeleteDomainNameInput{DomainName: aws.String(name)}); err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "delete", "custom domain name", name, err)
	}
}

// ImportState takes the domain name, or <domain_name>/<base_path>.
func (r *DomainResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name, base, _ := strings.Cut(req.ID, "/")
	if !domainNamePattern.MatchString(name) {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("import ID %q: want <domain_name> or <domain_name>/<base_path>", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("base_path"), base)...)
}
