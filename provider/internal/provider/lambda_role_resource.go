package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ resource.Resource                = &LambdaRoleResource{}
	_ resource.ResourceWithConfigure   = &LambdaRoleResource{}
	_ resource.ResourceWithImportState = &LambdaRoleResource{}
	_ resource.ResourceWithModifyPlan  = &LambdaRoleResource{}
)

// trustPolicy lets service assume the role, and nothing else.
func trustPolicy(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`
}

// Services a portico_lambda_role may trust: Lambda (execution roles) and API
// Gateway (the account's CloudWatch Logs role, for access logging).
const (
	lambdaService = "lambda.amazonaws.com"
)

// roleNamePattern is IAM's rule for role names.
var roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)

// inlinePolicyName is the name of the role's one inline policy.
const inlinePolicyName = "portico"

// LambdaRoleResource manages a Lambda execution role with one inline policy.
type LambdaRoleResource struct {
	clients *Clients
}

// LambdaRoleResourceModel is the state of a portico_lambda_role.
type LambdaRoleResourceModel struct {
	ID      types.String `tfsdk:"id"`
	Name    types.String `tfsdk:"name"`
	Policy  jsonValue    `tfsdk:"policy"`
	Service types.String `tfsdk:"service"`
	Tags    types.Map    `tfsdk:"tags"`
	TagsAll types.Map    `tfsdk:"tags_all"`
	ARN     types.String `tfsdk:"arn"`
}

// NewLambdaRoleResource returns a portico_lambda_role resource.
func NewLambdaRoleResource() resource.Resource {
	return &LambdaRoleResource{}
}

func (r *LambdaRoleResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_lambda_role"
}

func (r *LambdaRoleResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An IAM role that only Lambda may assume, with one inline policy (named `portico`): " +
			"the least-privilege execution role of a Portico function in a turnkey deployment. A team that manages IAM with the " +
			"hashicorp/aws provider may prefer `aws_iam_role` with `aws_iam_role_policy` (permission boundaries, paths, managed " +
			"policies) and give the role's ARN to the function. With `service = \"apigateway.amazonaws.com\"` it is the role " +
			"API Gateway writes CloudWatch logs with (`portico_api`'s `access_log.cloudwatch_role_arn`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The role name.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Role name. Changing it replaces the role.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 64),
					stringvalidator.RegexMatches(roleNamePattern, "may contain only letters, digits and +=,.@_-"),
				},
			},
			"policy": schema.StringAttribute{
				MarkdownDescription: "The inline policy document, as JSON (write it with `jsonencode`). Updated in place. " +
					"Compared as JSON: key order and white space are not changes.",
				CustomType: jsonTypeOf(jsonAny),
				Required:   true,
				Validators: []validator.String{policyDocumentValidator{}},
			},
			"service": schema.StringAttribute{
				MarkdownDescription: "The AWS service that may assume the role: `" + lambdaService + "` (the default) or `" +
					apigatewayService + "`. Changing it replaces the role.",
				Optional:      true,
				Computed:      true,
				Default:       stringdefault.StaticString(lambdaService),
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.OneOf(lambdaService, apigatewayService)},
			},
			"tags":     tagsAttribute(),
			"tags_all": tagsAllAttribute(),
			"arn": schema.StringAttribute{
				MarkdownDescription: "The role ARN, for `portico_function.role_arn`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *LambdaRoleResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan plans tags_all.
func (r *LambdaRoleResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	modifyPlanTags(ctx, req, resp, defaultTagsOf(r.clients))
}

func (r *LambdaRoleResource) putPolicy(ctx context.Context, data LambdaRoleResourceModel) error {
	_, err := r.clients.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName:       aws.String(data.Name.ValueString()),
		PolicyName:     aws.String(inlinePolicyName),
		PolicyDocument: aws.String(data.Policy.ValueString()),
	})
	return err
}

func (r *LambdaRoleResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data LambdaRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	out, err := r.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(data.Name.ValueString()),
		AssumeRolePolicyDocument: aws.String(trustPolicy(data.Service.ValueString())),
		Description:              aws.String("Portico role for " + data.Service.ValueString() + " (managed by Terraform)"),
	})
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "IAM role", data.Name.ValueString(), err)
		return
	}
	data.ID = data.Name
	data.ARN = types.StringValue(aws.ToString(out.Role.Arn))
	all, err := applyTags(ctx, iamRoleTags{r.clients.IAM}, data.Name.ValueString(), defaultTagsOf(r.clients), data.Tags, types.MapNull(types.StringType))
	if err != nil {
		addAWSError(&resp.Diagnostics, "tag", "IAM role", data.Name.ValueString(), err)
		data.TagsAll = types.MapNull(types.StringType)
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	data.TagsAll = all
	if err := r.putPolicy(ctx, data); err != nil {
		addAWSError(&resp.Diagnostics, "attach the inline policy to", "IAM role", data.Name.ValueString(), err)
		// The role exists: keep it in state (tainted) so that destroy removes it.
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *LambdaRoleResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data LambdaRoleResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	role, err := r.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(data.ID.ValueString())})
	if isNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "IAM role", data.ID.ValueString(), err)
		return
	}
	data.Name = types.StringValue(aws.ToString(role.Role.RoleName))
	data.ARN = types.StringValue(aws.ToString(role.Role.Arn))
	data.Service = types.StringValue(lambdaService)
	if trust, err := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument)); err == nil && strings.Contains(trust, apigatewayService) {
		data.Service = types.StringValue(apigatewayService)
	}
	if err := readTags(ctx, iamRoleTags{r.clients.IAM}, data.ID.ValueString(), defaultTagsOf(r.clients), &data.Tags, &data.TagsAll); err != nil {
		addAWSError(&resp.Diagnostics, "read", "IAM role", data.ID.ValueString(), err)
		return
	}
	pol, err := r.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: role.Role.RoleName, PolicyName: aws.String(inlinePolicyName)})
	switch {
	case isNotFound(err):
		data.Policy = jsonString(jsonAny, "")
	case err != nil:
		addAWSError(&resp.Diagnostics, "read the inline policy of", "IAM role", data.ID.ValueString(), err)
		return
	default:
		doc, err := decodePolicyDocument(aws.ToString(pol.PolicyDocument))
		if err != nil {
			resp.Diagnostics.AddError("Cannot read IAM policy", fmt.Sprintf("The inline policy of role %q is not a JSON document: %s", data.ID.ValueString(), err))
			return
		}
		// The framework keeps the configured spelling when the documents
		// are the same JSON (jsonType).
		data.Policy = jsonString(jsonAny, doc)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *LambdaRoleResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var data, state LambdaRoleResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data.ID, data.ARN = state.ID, state.ARN
	if err := r.putPolicy(ctx, data); err != nil {
		addAWSError(&resp.Diagnostics, "update the inline policy of", "IAM role", data.Name.ValueString(), err)
		return
	}
	all, err := applyTags(ctx, iamRoleTags{r.clients.IAM}, data.ID.ValueString(), defaultTagsOf(r.clients), data.Tags, state.TagsAll)
	if err != nil {
		addAWSError(&resp.Diagnostics, "tag", "IAM role", data.Name.ValueString(), err)
		return
	}
	data.TagsAll = all
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *LambdaRoleResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data LambdaRoleResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := aws.String(data.ID.ValueString())
	if _, err := r.clients.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: name, PolicyName: aws.String(inlinePolicyName)}); err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "delete the inline policy of", "IAM role", data.ID.ValueString(), err)
		return
	}
	if _, err := r.clients.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name}); err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "delete", "IAM role", data.ID.ValueString(), err)
	}
}

// ImportState takes the role name.
func (r *LambdaRoleResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}

// decodePolicyDocument undoes the URL encoding IAM applies to policy documents
// (some implementations return them plain) and compacts the JSON.
func decodePolicyDocument(doc string) (string, error) {
	if unescaped, err := url.QueryUnescape(doc); err == nil && json.Valid([]byte(unescaped)) {
		doc = unescaped
	}
	return canonicalJSON(doc)
}

// policyDocumentValidator checks that a policy is a JSON object with a
// Statement, at plan time.
type policyDocumentValidator struct{}

func (policyDocumentValidator) Description(context.Context) string {
	return "must be a JSON IAM policy document with Version and Statement"
}

func (v policyDocumentValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (policyDocumentValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if msg := checkPolicyDocument(req.ConfigValue.ValueString()); msg != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid IAM policy document", msg)
	}
}

// checkPolicyDocument returns what is wrong with doc, or "".
func checkPolicyDocument(doc string) string {
	var p struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return fmt.Sprintf("The policy is not a JSON object: %s. Write it with jsonencode({...}).", err)
	}
	if p.Version != "2012-10-17" {
		return fmt.Sprintf("Version is %q; want \"2012-10-17\".", p.Version)
	}
	if len(p.Statement) == 0 || string(p.Statement) == "null" || string(p.Statement) == "[]" {
		return "The policy has no Statement; give at least one."
	}
	return ""
}
