package provider

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/pkg/transcode"
)

var (
	_ resource.Resource                   = &GRPCDescriptorsResource{}
	_ resource.ResourceWithConfigure      = &GRPCDescriptorsResource{}
	_ resource.ResourceWithImportState    = &GRPCDescriptorsResource{}
	_ resource.ResourceWithValidateConfig = &GRPCDescriptorsResource{}
	_ resource.ResourceWithModifyPlan     = &GRPCDescriptorsResource{}
)

// descriptorsFilenameAttribute is the item attribute that records the file's
// path, so that an imported set reads back the filename its configuration gives.
const descriptorsFilenameAttribute = "filename"

// maxDescriptorBytes is the largest descriptor set stored: a DynamoDB item
// holds 400 KB, keys and attribute names included.
const maxDescriptorBytes = 380 << 10

// GRPCDescriptorsResource stores a gRPC descriptor set (a binary
// FileDescriptorSet) where the aggregator reads it for the route table's
// gRPC routes.
type GRPCDescriptorsResource struct {
	clients *Clients
}

// GRPCDescriptorsResourceModel is the state of a portico_grpc_descriptors.
type GRPCDescriptorsResourceModel struct {
	ID         types.String `tfsdk:"id"`
	TableName  types.String `tfsdk:"table_name"`
	Name       types.String `tfsdk:"name"`
	Filename   types.String `tfsdk:"filename"`
	SourceHash types.String `tfsdk:"source_hash"`
	Services   types.List   `tfsdk:"services"`
}

// NewGRPCDescriptorsResource returns a portico_grpc_descriptors resource.
func NewGRPCDescriptorsResource() resource.Resource {
	return &GRPCDescriptorsResource{}
}

func (r *GRPCDescriptorsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_grpc_descriptors"
}

func (r *GRPCDescriptorsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A gRPC descriptor set (a binary `FileDescriptorSet`, from `protoc --descriptor_set_out " +
			"--include_imports`, `buf build -o` or Go's protoregistry) that the aggregator's gRPC routes name: the methods and " +
			"messages it translates JSON to and from, with no generated code in the gateway. Stored in the item " +
			"`{pk = \"" + statetable.DescriptorsPrefix + "<name>\", descriptors = <binary>}` of the state table, which the " +
			"aggregator reads whenever it loads a new route table. The file is checked at plan time when it exists (else at " +
			"apply, for a file built in the same run): it must parse and link " +
			"(imports other than the well-known types and `google/api` annotations must be in the set) and fit in a DynamoDB " +
			"item (at most " + fmt.Sprint(maxDescriptorBytes>>10) + " KiB). Creating it refuses to overwrite a set already stored " +
			"under the name and says how to import it. Import with `<table_name>/<name>`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<table_name>/<name>`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"table_name": schema.StringAttribute{
				MarkdownDescription: "The Portico state table (partition key `pk`), the table of the route table item. Changing it replaces the item.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{tableNameValidator},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The name gRPC routes use in `grpc.descriptors`: 1 to 64 letters, digits, `-`, `_` or `.`. Changing it replaces the item.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{descriptorsNameValidator{}},
			},
			"filename": schema.StringAttribute{
				MarkdownDescription: "Path of the binary `FileDescriptorSet` file. It may be built in the same run (then `source_hash` " +
					"comes from whatever builds it, since `filebase64sha256` needs the file at plan time): it is read and checked at apply. " +
					"Kept in the item, so an imported set plans no change.",
				Required: true,
			},
			"source_hash": schema.StringAttribute{
				MarkdownDescription: "Base64 SHA-256 of the file, as `filebase64sha256(filename)` computes it; a change uploads the file, " +
					"and a file that no longer has this hash at apply is refused. " +
					"It is computed again from the stored bytes on refresh, so a set changed outside Terraform shows as drift.",
				Required: true,
			},
			"services": schema.ListAttribute{
				MarkdownDescription: "Full names of the gRPC services in the set, sorted. Known at plan time when the file exists then.",
				ElementType:         types.StringType,
				Computed:            true,
			},
		},
	}
}

// descriptorsNameValidator accepts the names route documents may use.
type descriptorsNameValidator struct{}

func (descriptorsNameValidator) Description(context.Context) string {
	return "1 to 64 letters, digits, '-', '_' or '.'"
}

func (v descriptorsNameValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v descriptorsNameValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if !route.ValidDescriptorsName(req.ConfigValue.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid descriptor set name",
			fmt.Sprintf("%q: want %s", req.ConfigValue.ValueString(), v.Description(ctx)))
	}
}

func (r *GRPCDescriptorsResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig reads the file and checks it as the aggregator will load it.
// A file that does not exist yet (built later in the same run) is checked at
// apply instead.
func (r *GRPCDescriptorsResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var file, hash types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("filename"), &file)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("source_hash"), &hash)...)
	if resp.Diagnostics.HasError() || file.IsNull() || file.IsUnknown() {
		return
	}
	set, _, err := readDescriptorSet(file.ValueString())
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("filename"), "Invalid descriptor set", err.Error())
		return
	}
	if !hash.IsNull() && !hash.IsUnknown() && hash.ValueString() != descriptorHash(set) {
		resp.Diagnostics.AddAttributeError(path.Root("source_hash"), "source_hash does not match the file",
			fmt.Sprintf("The file's base64 SHA-256 is %s; set source_hash = filebase64sha256(filename).", descriptorHash(set)))
	}
}

// ModifyPlan computes services from the file when it exists at plan time, so
// that an update does not make them "known after apply".
func (r *GRPCDescriptorsResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan GRPCDescriptorsResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Filename.IsUnknown() || plan.SourceHash.IsUnknown() {
		return
	}
	set, d, err := readDescriptorSet(plan.Filename.ValueString())
	if err != nil || descriptorHash(set) != plan.SourceHash.ValueString() {
		return // checked at apply
	}
	services, dd := types.ListValueFrom(ctx, types.StringType, d.Services())
	resp.Diagnostics.Append(dd...)
	plan.Services = services
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// readDescriptorSet reads a descriptor set file and checks it as the
// aggregator will load it.
func readDescriptorSet(file string) ([]byte, *transcode.Descriptors, error) {
	set, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	if len(set) > maxDescriptorBytes {
		return nil, nil, fmt.Errorf("%s is %d bytes; a DynamoDB item holds 400 KB, so the limit is %d bytes: "+
			"leave out files the gRPC routes do not need", file, len(set), maxDescriptorBytes)
	}
	d, err := transcode.Load(set)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), transcode.ErrDescriptors.Error()+": "))
	}
	return set, d, nil
}

func descriptorHash(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func grpcDescriptorsID(table, name string) string { return table + "/" + name }

// put reads the file, checks it and writes the item (with create, only when
// no set is stored under the name); it sets the computed attributes of data.
func (r *GRPCDescriptorsResource) put(ctx context.Context, data *GRPCDescriptorsResourceModel, create bool, diags *diag.Diagnostics) {
	set, d, err := readDescriptorSet(data.Filename.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("filename"), "Invalid descriptor set", err.Error())
		return
	}
	if !data.SourceHash.IsUnknown() && data.SourceHash.ValueString() != descriptorHash(set) {
		diags.AddAttributeError(path.Root("source_hash"), "The descriptor set file changed",
			fmt.Sprintf("%s has the base64 SHA-256 %s, not the source_hash %s of the plan: it changed since. Plan again.",
				data.Filename.ValueString(), descriptorHash(set), data.SourceHash.ValueString()))
		return
	}
	table, name := data.TableName.ValueString(), data.Name.ValueString()
	tflog.Info(ctx, "writing descriptor set", map[string]any{"name": name, "bytes": len(set)})
	err = r.clients.putStateItem(ctx, table, map[string]ddbtypes.AttributeValue{
		statetable.KeyAttr:           &ddbtypes.AttributeValueMemberS{Value: statetable.DescriptorsKey(name)},
		statetable.DescriptorsAttr:   &ddbtypes.AttributeValueMemberB{Value: set},
		descriptorsFilenameAttribute: &ddbtypes.AttributeValueMemberS{Value: data.Filename.ValueString()},
		"updatedAt":                  &ddbtypes.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339)},
	}, create, &itemExistsError{What: fmt.Sprintf("a descriptor set named %q", name), Table: table,
		Key: statetable.DescriptorsKey(name), ImportID: grpcDescriptorsID(table, name)})
	if err == nil {
		err = r.clients.bumpRevision(ctx, table)
	}
	if err != nil {
		addAWSError(diags, "write", "descriptor set", data.ID.ValueString(), err)
		return
	}
	data.SourceHash = types.StringValue(descriptorHash(set))
	services, dd := types.ListValueFrom(ctx, types.StringType, d.Services())
	diags.Append(dd...)
	data.Services = services
}

// write stores the planned descriptor set, for Create and Update.
func (r *GRPCDescriptorsResource) write(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, create bool, diags *diag.Diagnostics) {
	var data GRPCDescriptorsResourceModel
	diags.Append(plan.Get(ctx, &data)...)
	if diags.HasError() {
		return
	}
	data.ID = types.StringValue(grpcDescriptorsID(data.TableName.ValueString(), data.Name.ValueString()))
	r.put(ctx, &data, create, diags)
	if diags.HasError() {
		return
	}
	diags.Append(state.Set(ctx, &data)...)
}

func (r *GRPCDescriptorsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.write(ctx, req.Plan, &resp.State, true, &resp.Diagnostics)
}

func (r *GRPCDescriptorsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data GRPCDescriptorsResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	item, err := r.clients.getStateItem(ctx, data.TableName.ValueString(), statetable.DescriptorsKey(data.Name.ValueString()))
	if err == nil && item == nil {
		tflog.Warn(ctx, "descriptor set item is gone, removing it from state", map[string]any{"id": data.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "descriptor set", data.ID.ValueString(), err)
		return
	}
	set, _ := item[statetable.DescriptorsAttr].(*ddbtypes.AttributeValueMemberB)
	if set == nil {
		data.SourceHash = types.StringValue("") // not a descriptor set: plan rewrites it
	} else {
		data.SourceHash = types.StringValue(descriptorHash(set.Value))
		var names []string
		if d, err := transcode.Load(set.Value); err == nil {
			names = d.Services()
		}
		services, dd := types.ListValueFrom(ctx, types.StringType, names)
		resp.Diagnostics.Append(dd...)
		data.Services = services
	}
	if data.Services.IsNull() || data.Services.IsUnknown() {
		data.Services = types.ListValueMust(types.StringType, nil)
	}
	if f, ok := stringAttr(item, descriptorsFilenameAttribute); ok {
		data.Filename = types.StringValue(f)
	}
	data.ID = types.StringValue(grpcDescriptorsID(data.TableName.ValueString(), data.Name.ValueString()))
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *GRPCDescriptorsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.write(ctx, req.Plan, &resp.State, false, &resp.Diagnostics)
}

func (r *GRPCDescriptorsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data GRPCDescriptorsResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.clients.deleteConfigItem(ctx, data.TableName.ValueString(), statetable.DescriptorsKey(data.Name.ValueString())); err != nil {
		addAWSError(&resp.Diagnostics, "delete", "descriptor set", data.ID.ValueString(), err)
	}
}

// ImportState takes "<table_name>/<name>"; Read finds the filename in the item.
func (r *GRPCDescriptorsResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	table, name, ok := strings.Cut(req.ID, "/")
	if !ok || table == "" || !route.ValidDescriptorsName(name) {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("import ID %q: want <table_name>/<name>", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("table_name"), table)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}
