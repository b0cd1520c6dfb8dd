package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ resource.Resource                = &FunctionResource{}
	_ resource.ResourceWithConfigure   = &FunctionResource{}
	_ resource.ResourceWithImportState = &FunctionResource{}
	_ resource.ResourceWithModifyPlan  = &FunctionResource{}
)

// Defaults of portico_function.
const (
	defaultHandler      = "bootstrap"
	defaultRuntime      = "provided.al2023"
	defaultArchitecture = "x86_64"
	defaultMemorySize   = 128
	defaultTimeout      = 30
)

// functionTimeouts are portico_function's default timeouts: they bound the
// retries while a new IAM role propagates to Lambda and the waits for the
// function to become Active or finish an update.
var functionTimeouts = opTimeouts{Create: 10 * time.Minute, Update: 10 * time.Minute, Delete: 5 * time.Minute}

// tagFilename is the function tag that records the zip file's path, so that
// an imported function reads back the filename its configuration gives.
const tagFilename = "portico:filename"

// FunctionResource manages a Lambda function deployed from a zip file.
type FunctionResource struct {
	clients *Clients
}

// FunctionResourceModel is the state of a portico_function.
type FunctionResourceModel struct {
	ID             types.String   `tfsdk:"id"`
	Name           types.String   `tfsdk:"name"`
	Filename       types.String   `tfsdk:"filename"`
	SourceCodeHash types.String   `tfsdk:"source_code_hash"`
	RoleARN        types.String   `tfsdk:"role_arn"`
	Handler        types.String   `tfsdk:"handler"`
	Runtime        types.String   `tfsdk:"runtime"`
	Architecture   types.String   `tfsdk:"architecture"`
	MemorySize     types.Int64    `tfsdk:"memory_size"`
	Timeout        types.Int64    `tfsdk:"timeout"`
	Environment    types.Map      `tfsdk:"environment"`
	Layers         types.List     `tfsdk:"layers"`
	VPCConfig      types.Object   `tfsdk:"vpc_config"`
	Tracing        types.Bool     `tfsdk:"tracing"`
	LogRetention   types.Int64    `tfsdk:"log_retention_days"`
	LogGroupName   types.String   `tfsdk:"log_group_name"`
	Tags           types.Map      `tfsdk:"tags"`
	TagsAll        types.Map      `tfsdk:"tags_all"`
	ARN            types.String   `tfsdk:"arn"`
	InvokeARN      types.String   `tfsdk:"invoke_arn"`
	Timeouts       timeouts.Value `tfsdk:"timeouts"`
}

// vpcConfigModel is portico_function's vpc_config.
type vpcConfigModel struct {
	SubnetIDs        types.Set  `tfsdk:"subnet_ids"`
	SecurityGroupIDs types.Set  `tfsdk:"security_group_ids"`
	IPv6DualStack    types.Bool `tfsdk:"ipv6_allowed_for_dual_stack"`
}

// vpcAttrTypes are the attribute types of vpc_config.
var vpcAttrTypes = map[string]attr.Type{
	"subnet_ids": types.SetType{ElemType: types.StringType}, "security_group_ids": types.SetType{ElemType: types.StringType},
	"ipv6_allowed_for_dual_stack": types.BoolType,
}

// functionLogGroup is the log group Lambda writes a function's logs to.
func functionLogGroup(name string) string { return "/aws/lambda/" + name }

// NewFunctionResource returns a portico_function resource.
func NewFunctionResource() resource.Resource {
	return &FunctionResource{}
}

func (r *FunctionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_function"
}

func (r *FunctionResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Lambda function deployed from a local zip file: the authorizer or the aggregator of a local stack " +
			"or a turnkey deployment. The zip's path is kept in the tag `" + tagFilename + "`, so an imported function plans no change. " +
			"The provider creates the function's log group (`/aws/lambda/<name>`) before the function, with a retention, so " +
			"that Lambda never creates one that keeps logs forever. With `vpc_config` the function runs in your VPC, where " +
			"it reaches services on private addresses (Cloud Map instances of ECS tasks or EC2); it then reaches AWS APIs " +
			"only through VPC endpoints or a NAT gateway, and its role needs the EC2 network-interface actions " +
			"(see the repository's docs/aws.md). A team that manages its functions with the hashicorp/aws provider may prefer " +
			"`aws_lambda_function` (S3 packages, aliases, code signing) and give its ARN to `portico_api`.",
		Blocks: map[string]schema.Block{"timeouts": functionTimeouts.block(ctx)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The function name.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Function name. Changing it replaces the function.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{functionNameValidator},
			},
			"filename": schema.StringAttribute{
				MarkdownDescription: "Path of the zip file with the function code.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 256)},
			},
			"source_code_hash": schema.StringAttribute{
				MarkdownDescription: "Base64 SHA-256 of the zip file, as `filebase64sha256(filename)` computes it. " +
					"It is read back from Lambda's `CodeSha256`, so code changed outside Terraform shows as drift.",
				Required: true,
			},
			"role_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the IAM role the function runs as. A role created in the same apply may take a " +
					"moment before Lambda can assume it: creates and configuration updates retry until it can, within the timeouts.",
				Required:   true,
				Validators: []validator.String{roleARNValidator},
			},
			"handler": schema.StringAttribute{
				MarkdownDescription: "Function entry point. Defaults to `" + defaultHandler + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(defaultHandler),
				Validators:          []validator.String{handlerValidator},
			},
			"runtime": schema.StringAttribute{
				MarkdownDescription: "Lambda runtime identifier. Defaults to `" + defaultRuntime + "`. Retired runtimes " +
					"that Lambda no longer creates functions with (`go1.x`, `provided`, `python3.7`, ...) are refused at plan time.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(defaultRuntime),
				Validators: []validator.String{stringvalidator.OneOf(lambdaRuntimes()...)},
			},
			"architecture": schema.StringAttribute{
				MarkdownDescription: "Instruction set: `x86_64` or `arm64`. Defaults to `" + defaultArchitecture + "`.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(defaultArchitecture),
				Validators:          []validator.String{stringvalidator.OneOf("x86_64", "arm64")},
			},
			"memory_size": schema.Int64Attribute{
				MarkdownDescription: "Memory in MB, 128 to 10240. Defaults to 128.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(defaultMemorySize),
				Validators:          []validator.Int64{int64validator.Between(128, 10240)},
			},
			"timeout": schema.Int64Attribute{
				MarkdownDescription: "Timeout in seconds, 1 to 900. Defaults to 30.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(defaultTimeout),
				Validators:          []validator.Int64{int64validator.Between(1, 900)},
			},
			"environment": schema.MapAttribute{
				MarkdownDescription: "Environment variables of the function. Names are letters, digits and `_`, starting with a letter; " +
					"Lambda's reserved names (`AWS_REGION`, `AWS_LAMBDA_*`, `_HANDLER`, ...) are refused, and names and values " +
					"together must fit in 4 KB.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Map{environmentValidator{}},
			},
			"layers": schema.ListAttribute{
				MarkdownDescription: "ARNs of the layer versions attached to the function, in order (at most 5), such as a " +
					"`portico_layer`'s `arn`. The portico-mesh layer makes the function's calls to `http://localhost:9911/<service>/` " +
					"go through the mesh; it needs the function's architecture and the `PORTICO_MESH_*` variables in `environment`.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.List{
					listvalidator.SizeAtMost(5),
					listvalidator.ValueStringsAre(stringvalidator.RegexMatches(layerVersionARNPattern, "must be a layer version ARN: arn:aws:lambda:<region>:<account>:layer:<name>:<version>")),
				},
			},
			"vpc_config": schema.SingleNestedAttribute{
				MarkdownDescription: "Runs the function in a VPC: Lambda gives it network interfaces in the subnets, " +
					"with the security groups. Drift (subnets or groups changed outside Terraform) shows in the plan. " +
					"Removing the block takes the function out of the VPC.",
				Optional: true,
				Attributes: map[string]schema.Attribute{
					"subnet_ids": schema.SetAttribute{
						MarkdownDescription: "Subnets (at most 16), in at least two Availability Zones for resilience.",
						ElementType:         types.StringType,
						Required:            true,
						Validators: []validator.Set{setvalidator.SizeBetween(1, 16),
							setvalidator.ValueStringsAre(stringvalidator.RegexMatches(subnetIDPattern, "must be a subnet ID such as subnet-0123456789abcdef0"))},
					},
					"security_group_ids": schema.SetAttribute{
						MarkdownDescription: "Security groups (at most 5); they must allow the function's outbound calls to the services.",
						ElementType:         types.StringType,
						Required:            true,
						Validators: []validator.Set{setvalidator.SizeBetween(1, 5),
							setvalidator.ValueStringsAre(stringvalidator.RegexMatches(securityGroupIDPattern, "must be a security group ID such as sg-0123456789abcdef0"))},
					},
					"ipv6_allowed_for_dual_stack": schema.BoolAttribute{
						MarkdownDescription: "Allow outbound IPv6 in dual-stack subnets. Defaults to false.",
						Optional:            true,
						Computed:            true,
						Default:             booldefault.StaticBool(false),
					},
				},
			},
			"tracing": schema.BoolAttribute{
				MarkdownDescription: "Active X-Ray tracing (`TracingConfig` `Active`): Lambda samples and records invocations " +
					"and the function's segments reach X-Ray. The role needs `xray:PutTraceSegments` and " +
					"`xray:PutTelemetryRecords`. Defaults to false (`PassThrough`).",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"log_retention_days": schema.Int64Attribute{
				MarkdownDescription: "Days the function's log group keeps its logs, one of " + logRetentionList() + ". " +
					"Defaults to " + fmt.Sprint(defaultLogRetentionDays) + ". The log group is deleted with the function.",
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultLogRetentionDays),
				Validators: []validator.Int64{logRetentionValidator()},
			},
			"log_group_name": schema.StringAttribute{
				MarkdownDescription: "Name of the function's log group, `/aws/lambda/<name>`.",
				Computed:            true,
			},
			"tags":     tagsAttribute(),
			"tags_all": tagsAllAttribute(),
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the function.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"invoke_arn": schema.StringAttribute{
				MarkdownDescription: "ARN that API Gateway uses to invoke the function (an integration or authorizer URI).",
				Computed:            true,
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *FunctionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan plans tags_all and the log group's name.
func (r *FunctionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	modifyPlanTags(ctx, req, resp, r.defaultTags())
	if req.Plan.Raw.IsNull() {
		return
	}
	var name types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &name)...)
	if !name.IsUnknown() && !name.IsNull() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("log_group_name"), functionLogGroup(name.ValueString()))...)
	}
}

// defaultTags are the provider's default_tags (none before Configure).
func (r *FunctionResource) defaultTags() map[string]string {
	if r.clients == nil {
		return nil
	}
	return r.clients.DefaultTags
}

// vpcConfig is the Lambda VpcConfig of m; with no vpc_config, the empty
// one that takes a function out of its VPC.
func (m *FunctionResourceModel) vpcConfig(ctx context.Context) (*lambdatypes.VpcConfig, error) {
	cfg, err := objectModel[vpcConfigModel](ctx, m.VPCConfig)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return &lambdatypes.VpcConfig{SubnetIds: []string{}, SecurityGroupIds: []string{}}, nil
	}
	subnets, diags := setStrings(ctx, cfg.SubnetIDs)
	if diags.HasError() {
		return nil, fmt.Errorf("read vpc_config.subnet_ids: %v", diags)
	}
	groups, diags := setStrings(ctx, cfg.SecurityGroupIDs)
	if diags.HasError() {
		return nil, fmt.Errorf("read vpc_config.security_group_ids: %v", diags)
	}
	return &lambdatypes.VpcConfig{SubnetIds: subnets, SecurityGroupIds: groups,
		Ipv6AllowedForDualStack: aws.Bool(cfg.IPv6DualStack.ValueBool())}, nil
}

// tracingConfig is the Lambda TracingConfig of m.
func (m *FunctionResourceModel) tracingConfig() *lambdatypes.TracingConfig {
	if m.Tracing.ValueBool() {
		return &lambdatypes.TracingConfig{Mode: lambdatypes.TracingModeActive}
	}
	return &lambdatypes.TracingConfig{Mode: lambdatypes.TracingModePassThrough}
}

// lambdaInvokeARN returns the API Gateway invocation URI of a Lambda function:
// arn:<partition>:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations.
// The partition and region come from the function ARN.
func lambdaInvokeARN(functionARN string) (string, error) {
	parts := strings.SplitN(functionARN, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[3] == "" {
		return "", fmt.Errorf("%q is not a Lambda function ARN", functionARN)
	}
	return fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations",
		parts[1], parts[3], functionARN), nil
}

// functionARNFromInvokeARN is the inverse of lambdaInvokeARN.
func functionARNFromInvokeARN(uri string) (string, error) {
	const marker, suffix = ":lambda:path/2015-03-31/functions/", "/invocations"
	i := strings.Index(uri, marker)
	if i < 0 || !strings.HasSuffix(uri, suffix) {
		return "", fmt.Errorf("%q is not a Lambda invocation URI", uri)
	}
	arn := strings.TrimSuffix(uri[i+len(marker):], suffix)
	if !strings.HasPrefix(arn, "arn:") {
		return "", fmt.Errorf("%q is not a Lambda invocation URI", uri)
	}
	return arn, nil
}

// environment returns the function's environment variables from data.
func (m *FunctionResourceModel) environment(ctx context.Context) (map[string]string, error) {
	vars := map[string]string{}
	if m.Environment.IsNull() || m.Environment.IsUnknown() {
		return vars, nil
	}
	if diags := m.Environment.ElementsAs(ctx, &vars, false); diags.HasError() {
		return nil, fmt.Errorf("read environment: %v", diags)
	}
	return vars, nil
}

func (r *FunctionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data FunctionResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opCreate, functionTimeouts, &resp.Diagnostics)
	defer cancel()
	name := data.Name.ValueString()
	zip, err := os.ReadFile(data.Filename.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("filename"), "Cannot read function code",
			fmt.Sprintf("Could not read the zip file of Lambda function %q: %s", name, err))
		return
	}
	env, err := data.environment(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Invalid environment", err.Error())
		return
	}
	layers, err := listStrings(ctx, data.Layers)
	if err != nil {
		resp.Diagnostics.AddError("Invalid layers", err.Error())
		return
	}
	tags, err := wantedTags(ctx, r.defaultTags(), data.Tags)
	if err != nil {
		resp.Diagnostics.AddError("Invalid tags", err.Error())
		return
	}
	vpc, err := data.vpcConfig(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Invalid vpc_config", err.Error())
		return
	}
	if data.VPCConfig.IsNull() {
		vpc = nil
	}
	// The log group first, so that Lambda never makes one without a retention.
	lg, err := ensureLogGroup(ctx, r.clients.Logs, logsTags{r.clients.Logs}, functionLogGroup(name), data.LogRetention.ValueInt64(), tags)
	if err != nil {
		addAWSError(&resp.Diagnostics, "create the log group of", "Lambda function", name, err)
		return
	}
	data.LogGroupName = types.StringValue(lg.Name)
	in := &lambda.CreateFunctionInput{
		FunctionName:  aws.String(name),
		Role:          aws.String(data.RoleARN.ValueString()),
		Handler:       aws.String(data.Handler.ValueString()),
		Runtime:       lambdatypes.Runtime(data.Runtime.ValueString()),
		Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(data.Architecture.ValueString())},
		MemorySize:    aws.Int32(int32(data.MemorySize.ValueInt64())),
		Timeout:       aws.Int32(int32(data.Timeout.ValueInt64())),
		Code:          &lambdatypes.FunctionCode{ZipFile: zip},
		Environment:   &lambdatypes.Environment{Variables: env},
		Tags:          mergeTags(tags, map[string]string{tagFilename: data.Filename.ValueString()}),
		Layers:        layers,
		VpcConfig:     vpc,
		TracingConfig: data.tracingConfig(),
	}

	tflog.Info(ctx, "creating Lambda function", map[string]any{"name": name, "zip_bytes": len(zip)})
	// A role created moments ago may not be assumable by Lambda yet.
	err = retryCall(ctx, "Lambda to be able to assume role "+data.RoleARN.ValueString(), func(ctx context.Context) error {
		_, err := r.clients.Lambda.CreateFunction(ctx, in)
		return err
	}, roleNotAssumableYet, vpcPermissionsNotYet)
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "Lambda function", name, err)
		if err := deleteLogGroup(ctx, r.clients.Logs, lg.Name); err != nil {
			tflog.Warn(ctx, "could not delete the log group of a function that was not created", map[string]any{"error": err.Error()})
		}
		return
	}
	data.ID = types.StringValue(name)

	waiter := lambda.NewFunctionActiveV2Waiter(r.clients.Lambda)
	if err := waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, remaining(ctx)); err != nil {
		addAWSError(&resp.Diagnostics, "wait for Active state of", "Lambda function", name, err)
		r.saveTainted(ctx, resp, data)
		return
	}
	if err := r.read(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Lambda function", name, err)
		r.saveTainted(ctx, resp, data)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// saveTainted records a function that exists but failed to settle, so that
// Terraform marks it tainted instead of losing track of it.
func (r *FunctionResource) saveTainted(ctx context.Context, resp *resource.CreateResponse, data FunctionResourceModel) {
	nullUnknowns(&data.TagsAll, &data.ARN, &data.InvokeARN, &data.LogGroupName)
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// read refreshes data from GetFunction. A missing function is an error that
// isNotFound recognises.
func (r *FunctionResource) read(ctx context.Context, data *FunctionResourceModel) error {
	out, err := r.clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(data.Name.ValueString())})
	if err != nil {
		return err
	}
	c := out.Configuration
	data.ID = types.StringValue(aws.ToString(c.FunctionName))
	data.Name = types.StringValue(aws.ToString(c.FunctionName))
	data.ARN = types.StringValue(aws.ToString(c.FunctionArn))
	invoke, err := lambdaInvokeARN(aws.ToString(c.FunctionArn))
	if err != nil {
		return err
	}
	data.InvokeARN = types.StringValue(invoke)
	data.SourceCodeHash = types.StringValue(aws.ToString(c.CodeSha256))
	data.RoleARN = types.StringValue(aws.ToString(c.Role))
	data.Handler = types.StringValue(aws.ToString(c.Handler))
	data.Runtime = types.StringValue(string(c.Runtime))
	data.Architecture = types.StringValue(defaultArchitecture)
	if len(c.Architectures) > 0 {
		data.Architecture = types.StringValue(string(c.Architectures[0]))
	}
	data.MemorySize = types.Int64Value(int64(aws.ToInt32(c.MemorySize)))
	data.Timeout = types.Int64Value(int64(aws.ToInt32(c.Timeout)))
	if f, ok := out.Tags[tagFilename]; ok {
		data.Filename = types.StringValue(f)
	}
	tags, all, diags := tagsFromAWS(ctx, out.Tags, r.defaultTags(), data.Tags)
	if diags.HasError() {
		return fmt.Errorf("read tags: %v", diags)
	}
	data.Tags, data.TagsAll = tags, all
	data.Tracing = types.BoolValue(c.TracingConfig != nil && c.TracingConfig.Mode == lambdatypes.TracingModeActive)
	data.VPCConfig = types.ObjectNull(vpcAttrTypes)
	if v := c.VpcConfig; v != nil && len(v.SubnetIds) > 0 {
		subnets, d1 := types.SetValueFrom(ctx, types.StringType, v.SubnetIds)
		groups, d2 := types.SetValueFrom(ctx, types.StringType, v.SecurityGroupIds)
		if d1.HasError() || d2.HasError() {
			return fmt.Errorf("convert vpc_config: %v %v", d1, d2)
		}
		data.VPCConfig = objectOf(ctx, vpcAttrTypes, &vpcConfigModel{SubnetIDs: subnets, SecurityGroupIDs: groups, IPv6DualStack: types.BoolValue(aws.ToBool(v.Ipv6AllowedForDualStack))})
	}
	lg, found, err := readLogGroup(ctx, r.clients.Logs, functionLogGroup(aws.ToString(c.FunctionName)))
	if err != nil {
		return err
	}
	if found {
		data.LogGroupName = types.StringValue(lg.Name)
		data.LogRetention = types.Int64Value(lg.RetentionDays)
	} else {
		// Gone (or never made, after an import): the plan makes it again.
		data.LogGroupName = types.StringNull()
		data.LogRetention = types.Int64Null()
	}
	var layers []string
	for _, l := range c.Layers {
		layers = append(layers, aws.ToString(l.Arn))
	}
	if data.Layers, err = stringList(ctx, layers, data.Layers); err != nil {
		return err
	}

	vars := map[string]string{}
	if c.Environment != nil && c.Environment.Variables != nil {
		vars = c.Environment.Variables
	}
	// No variables and none configured stays null rather than becoming {}.
	if len(vars) == 0 && data.Environment.IsNull() {
		return nil
	}
	env, diags := types.MapValueFrom(ctx, types.StringType, vars)
	if diags.HasError() {
		return fmt.Errorf("convert environment: %v", diags)
	}
	data.Environment = env
	return nil
}

func (r *FunctionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data FunctionResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.read(ctx, &data)
	if isNotFound(err) {
		tflog.Warn(ctx, "Lambda function is gone, removing it from state", map[string]any{"name": data.Name.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "Lambda function", data.Name.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// waitUpdated waits until the last update of the function has finished.
func (r *FunctionResource) waitUpdated(ctx context.Context, name string) error {
	waiter := lambda.NewFunctionUpdatedV2Waiter(r.clients.Lambda)
	return waiter.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, remaining(ctx))
}

func (r *FunctionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state FunctionResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opUpdate, functionTimeouts, &resp.Diagnostics)
	defer cancel()
	name := plan.Name.ValueString()

	// The code is the zip whose hash the plan carries: only a hash (or
	// architecture) change uploads; a zip moved to another path only changes
	// the tag that records the path.
	codeChanged := !plan.SourceCodeHash.Equal(state.SourceCodeHash) || !plan.Architecture.Equal(state.Architecture)
	if codeChanged {
		zip, err := os.ReadFile(plan.Filename.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("filename"), "Cannot read function code",
				fmt.Sprintf("Could not read the zip file of Lambda function %q: %s", name, err))
			return
		}
		tflog.Info(ctx, "updating Lambda function code", map[string]any{"name": name, "zip_bytes": len(zip)})
		err = retryCall(ctx, "Lambda to accept the code of "+name, func(ctx context.Context) error {
			_, err := r.clients.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
				FunctionName:  aws.String(name),
				ZipFile:       zip,
				Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(plan.Architecture.ValueString())},
			})
			return err
		}, lambdaBusy)
		if err != nil {
			addAWSError(&resp.Diagnostics, "update the code of", "Lambda function", name, err)
			return
		}
		if err := r.waitUpdated(ctx, name); err != nil {
			addAWSError(&resp.Diagnostics, "wait for the code update of", "Lambda function", name, err)
			return
		}
	}

	tags, err := wantedTags(ctx, r.defaultTags(), plan.Tags)
	if err != nil {
		resp.Diagnostics.AddError("Invalid tags", err.Error())
		return
	}
	if !plan.LogRetention.Equal(state.LogRetention) || state.LogGroupName.IsNull() || !plan.TagsAll.Equal(state.TagsAll) {
		lg, err := ensureLogGroup(ctx, r.clients.Logs, logsTags{r.clients.Logs}, functionLogGroup(name), plan.LogRetention.ValueInt64(), tags)
		if err == nil && !state.LogGroupName.IsNull() {
			// An existing group: ensureLogGroup tagged it only if it adopted it.
			var have map[string]string
			if have, err = (logsTags{r.clients.Logs}).listTags(ctx, lg.ARN); err == nil {
				err = syncTags(ctx, logsTags{r.clients.Logs}, lg.ARN, have, tags)
			}
		}
		if err != nil {
			addAWSError(&resp.Diagnostics, "update the log group of", "Lambda function", name, err)
			return
		}
	}

	configChanged := !plan.RoleARN.Equal(state.RoleARN) || !plan.Handler.Equal(state.Handler) ||
		!plan.Runtime.Equal(state.Runtime) || !plan.MemorySize.Equal(state.MemorySize) ||
		!plan.Timeout.Equal(state.Timeout) || !plan.Environment.Equal(state.Environment) || !plan.Layers.Equal(state.Layers) ||
		!plan.Tracing.Equal(state.Tracing) || !plan.VPCConfig.Equal(state.VPCConfig)
	if configChanged {
		env, err := plan.environment(ctx)
		if err != nil {
			resp.Diagnostics.AddError("Invalid environment", err.Error())
			return
		}
		layers, err := listStrings(ctx, plan.Layers)
		if err != nil {
			resp.Diagnostics.AddError("Invalid layers", err.Error())
			return
		}
		if layers == nil {
			layers = []string{} // an empty list detaches every layer
		}
		vpc, err := plan.vpcConfig(ctx)
		if err != nil {
			resp.Diagnostics.AddError("Invalid vpc_config", err.Error())
			return
		}
		tflog.Info(ctx, "updating Lambda function configuration", map[string]any{"name": name})
		in := &lambda.UpdateFunctionConfigurationInput{
			FunctionName:  aws.String(name),
			Role:          aws.String(plan.RoleARN.ValueString()),
			Handler:       aws.String(plan.Handler.ValueString()),
			Runtime:       lambdatypes.Runtime(plan.Runtime.ValueString()),
			MemorySize:    aws.Int32(int32(plan.MemorySize.ValueInt64())),
			Timeout:       aws.Int32(int32(plan.Timeout.ValueInt64())),
			Environment:   &lambdatypes.Environment{Variables: env},
			Layers:        layers,
			VpcConfig:     vpc,
			TracingConfig: plan.tracingConfig(),
		}
		// A new role may not be assumable yet (nor its network-interface
		// permissions visible to Lambda), and a code update may still be
		// settling: all pass.
		err = retryCall(ctx, "Lambda to accept the configuration of "+name, func(ctx context.Context) error {
			_, err := r.clients.Lambda.UpdateFunctionConfiguration(ctx, in)
			return err
		}, roleNotAssumableYet, vpcPermissionsNotYet, lambdaBusy)
		if err != nil {
			addAWSError(&resp.Diagnostics, "update the configuration of", "Lambda function", name, err)
			return
		}
		if err := r.waitUpdated(ctx, name); err != nil {
			addAWSError(&resp.Diagnostics, "wait for the configuration update of", "Lambda function", name, err)
			return
		}
	}

	if !plan.Filename.Equal(state.Filename) {
		arn := state.ARN.ValueString()
		if _, err := r.clients.Lambda.TagResource(ctx, &lambda.TagResourceInput{
			Resource: aws.String(arn), Tags: map[string]string{tagFilename: plan.Filename.ValueString()},
		}); err != nil {
			addAWSError(&resp.Diagnostics, "tag", "Lambda function", name, err)
			return
		}
	}
	if !plan.TagsAll.Equal(state.TagsAll) {
		have, _ := mapStrings(ctx, state.TagsAll)
		if err := syncTags(ctx, lambdaTags{r.clients.Lambda}, state.ARN.ValueString(), have, tags); err != nil {
			addAWSError(&resp.Diagnostics, "tag", "Lambda function", name, err)
			return
		}
	}

	if err := r.read(ctx, &plan); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Lambda function", name, err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *FunctionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data FunctionResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opDelete, functionTimeouts, &resp.Diagnostics)
	defer cancel()
	name := data.Name.ValueString()
	tflog.Info(ctx, "deleting Lambda function", map[string]any{"name": name})
	_, err := r.clients.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
	if err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "delete", "Lambda function", name, err)
		return
	}
	if !data.LogGroupName.IsNull() {
		if err := deleteLogGroup(ctx, r.clients.Logs, data.LogGroupName.ValueString()); err != nil {
			addAWSError(&resp.Diagnostics, "delete the log group of", "Lambda function", name, err)
		}
	}
}

func (r *FunctionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}
