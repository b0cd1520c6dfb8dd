package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ resource.Resource                = &LayerResource{}
	_ resource.ResourceWithConfigure   = &LayerResource{}
	_ resource.ResourceWithImportState = &LayerResource{}
)

// layerNamePattern is Lambda's rule for layer names.
var layerNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,140}$`)

// layerVersionARNPattern matches a layer version's ARN:
// arn:<partition>:lambda:<region>:<account>:layer:<name>:<version>.
var layerVersionARNPattern = regexp.MustCompile(`^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]{1,140}:[1-9]\d*$`)

// LayerResource manages one version of a Lambda layer published from a zip
// file, such as the portico-mesh extension's.
type LayerResource struct {
	clients *Clients
}

// LayerResourceModel is the state of a portico_layer.
type LayerResourceModel struct {
	ID                      types.String `tfsdk:"id"`
	Name                    types.String `tfsdk:"name"`
	Filename                types.String `tfsdk:"filename"`
	SourceCodeHash          types.String `tfsdk:"source_code_hash"`
	Description             types.String `tfsdk:"description"`
	CompatibleArchitectures types.List   `tfsdk:"compatible_architectures"`
	CompatibleRuntimes      types.List   `tfsdk:"compatible_runtimes"`
	ARN                     types.String `tfsdk:"arn"`
	LayerARN                types.String `tfsdk:"layer_arn"`
	Version                 types.Int64  `tfsdk:"version"`
}

// NewLayerResource returns a portico_layer resource.
func NewLayerResource() resource.Resource {
	return &LayerResource{}
}

func (r *LayerResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_layer"
}

func (r *LayerResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "One version of a Lambda layer, published from a local zip file: for example the portico-mesh " +
			"extension (`make mesh-layer` builds `portico-mesh-arm64.zip` and `portico-mesh-x86_64.zip`, each holding " +
			"`extensions/portico-mesh`), which a `portico_function` attaches with `layers`. Layer versions are immutable: " +
			"a new zip (`source_code_hash`) or any other change publishes a new version and deletes the old one. " +
			"Import with the layer version's ARN.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The layer version's ARN.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Layer name: 1 to 140 letters, digits, `-` or `_`.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.RegexMatches(layerNamePattern, "may contain only 1 to 140 letters, digits, - and _")},
			},
			"filename": schema.StringAttribute{
				MarkdownDescription: "Path of the zip file with the layer's content (unpacked into `/opt`).",
				Required:            true,
			},
			"source_code_hash": schema.StringAttribute{
				MarkdownDescription: "Base64 SHA-256 of the zip file, as `filebase64sha256(filename)` computes it; a change publishes a new version. " +
					"It is read back from Lambda's `CodeSha256`.",
				Required:      true,
				PlanModifiers: replace,
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the version.",
				Optional:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.LengthAtMost(256)},
			},
			"compatible_architectures": schema.ListAttribute{
				MarkdownDescription: "Instruction sets the layer runs on: `x86_64`, `arm64` or both.",
				ElementType:         types.StringType,
				Optional:            true,
				PlanModifiers:       []planmodifier.List{listplanmodifier.RequiresReplace()},
				Validators: []validator.List{
					listvalidator.SizeBetween(1, 2),
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(stringvalidator.OneOf("x86_64", "arm64")),
				},
			},
			"compatible_runtimes": schema.ListAttribute{
				MarkdownDescription: "Runtimes the layer is meant for, such as `python3.13` or `provided.al2023` (at most 15). " +
					"An extension of a static binary runs beside any runtime; leave it unset.",
				ElementType:   types.StringType,
				Optional:      true,
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()},
				Validators:    []validator.List{listvalidator.SizeBetween(1, 15), listvalidator.UniqueValues()},
			},
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the layer version, for `portico_function.layers`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"layer_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the layer (without the version).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"version": schema.Int64Attribute{
				MarkdownDescription: "The version number.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *LayerResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// listStrings returns the values of a list attribute; nil when it is null.
func listStrings(ctx context.Context, l types.List) ([]string, error) {
	if l.IsNull() || l.IsUnknown() {
		return nil, nil
	}
	var out []string
	if diags := l.ElementsAs(ctx, &out, false); diags.HasError() {
		return nil, fmt.Errorf("read list: %v", diags)
	}
	return out, nil
}

func (r *LayerResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data LayerResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := data.Name.ValueString()
	zip, err := os.ReadFile(data.Filename.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("filename"), "Cannot read layer content",
			fmt.Sprintf("Could not read the zip file of Lambda layer %q: %s", name, err))
		return
	}
	archs, err := listStrings(ctx, data.CompatibleArchitectures)
	if err != nil {
		resp.Diagnostics.AddError("Invalid compatible_architectures", err.Error())
		return
	}
	runtimes, err := listStrings(ctx, data.CompatibleRuntimes)
	if err != nil {
		resp.Diagnostics.AddError("Invalid compatible_runtimes", err.Error())
		return
	}
	in := &lambda.PublishLayerVersionInput{LayerName: aws.String(name), Content: &lambdatypes.LayerVersionContentInput{ZipFile: zip}}
	if !data.Description.IsNull() {
		in.Description = aws.String(data.Description.ValueString())
	}
	for _, a := range archs {
		in.CompatibleArchitectures = append(in.CompatibleArchitectures, lambdatypes.Architecture(a))
	}
	for _, rt := range runtimes {
		in.CompatibleRuntimes = append(in.CompatibleRuntimes, lambdatypes.Runtime(rt))
	}
	tflog.Info(ctx, "publishing Lambda layer version", map[string]any{"name": name, "zip_bytes": len(zip)})
	out, err := r.clients.Lambda.PublishLayerVersion(ctx, in)
	if err != nil {
		addAWSError(&resp.Diagnostics, "publish a version of", "Lambda layer", name, err)
		return
	}
	data.ID = types.StringValue(aws.ToString(out.LayerVersionArn))
	if err := r.read(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Lambda layer version", data.ID.ValueString(), err)
		// The version exists: keep it in state so that Terraform can delete it.
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), data.ID)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// read refreshes data from GetLayerVersionByArn with data.ID.
func (r *LayerResource) read(ctx context.Context, data *LayerResourceModel) error {
	out, err := r.clients.Lambda.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: aws.String(data.ID.ValueString())})
	if err != nil {
		return err
	}
	name, _, err := parseLayerVersionARN(aws.ToString(out.LayerVersionArn))
	if err != nil {
		return err
	}
	data.Name = types.StringValue(name)
	data.ARN = types.StringValue(aws.ToString(out.LayerVersionArn))
	data.LayerARN = types.StringValue(aws.ToString(out.LayerArn))
	data.Version = types.Int64Value(out.Version)
	if out.Content != nil {
		data.SourceCodeHash = types.StringValue(aws.ToString(out.Content.CodeSha256))
	}
	if d := aws.ToString(out.Description); d != "" || !data.Description.IsNull() {
		data.Description = types.StringValue(d)
	}
	var archs, runtimes []string
	for _, a := range out.CompatibleArchitectures {
		archs = append(archs, string(a))
	}
	for _, rt := range out.CompatibleRuntimes {
		runtimes = append(runtimes, string(rt))
	}
	if data.CompatibleArchitectures, err = stringList(ctx, archs, data.CompatibleArchitectures); err != nil {
		return err
	}
	data.CompatibleRuntimes, err = stringList(ctx, runtimes, data.CompatibleRuntimes)
	return err
}

// stringList returns vs as a list; an empty vs stays null when prev is.
func stringList(ctx context.Context, vs []string, prev types.List) (types.List, error) {
	if len(vs) == 0 && prev.IsNull() {
		return types.ListNull(types.StringType), nil
	}
	if vs == nil {
		vs = []string{}
	}
	l, diags := types.ListValueFrom(ctx, types.StringType, vs)
	if diags.HasError() {
		return l, fmt.Errorf("convert list: %v", diags)
	}
	return l, nil
}

// parseLayerVersionARN returns the layer name and version of a layer
// version's ARN.
func parseLayerVersionARN(arn string) (string, int64, error) {
	if !layerVersionARNPattern.MatchString(arn) {
		return "", 0, fmt.Errorf("%q is not a Lambda layer version ARN (arn:aws:lambda:<region>:<account>:layer:<name>:<version>)", arn)
	}
	parts := strings.Split(arn, ":")
	v, err := strconv.ParseInt(parts[7], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("%q: version: %w", arn, err)
	}
	return parts[6], v, nil
}

func (r *LayerResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data LayerResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.read(ctx, &data)
	if isNotFound(err) {
		tflog.Warn(ctx, "Lambda layer version is gone, removing it from state", map[string]any{"arn": data.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "Lambda layer version", data.ID.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// Update changes only what Lambda does not hold (filename): every other
// attribute replaces the version.
func (r *LayerResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan LayerResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.read(ctx, &plan); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Lambda layer version", plan.ID.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *LayerResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data LayerResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name, version, err := parseLayerVersionARN(data.ID.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Invalid layer version ARN in state", err.Error())
		return
	}
	tflog.Info(ctx, "deleting Lambda layer version", map[string]any{"name": name, "version": version})
	_, err = r.clients.Lambda.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String(name), VersionNumber: aws.Int64(version)})
	if err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "delete", "Lambda layer version", data.ID.ValueString(), err)
	}
}

func (r *LayerResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if _, _, err := parseLayerVersionARN(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}
