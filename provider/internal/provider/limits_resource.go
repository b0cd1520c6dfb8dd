package provider

import (
	"context"
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

	"github.com/portico-gw/portico/internal/statetable"
)

var (
	_ resource.Resource                   = &LimitsResource{}
	_ resource.ResourceWithConfigure      = &LimitsResource{}
	_ resource.ResourceWithImportState    = &LimitsResource{}
	_ resource.ResourceWithValidateConfig = &LimitsResource{}
)

// limitsKey is the pk of the limits document in the state table.
const limitsKey = statetable.LimitsKey

// LimitsResource writes the rate-limit document the aggregator enforces.
type LimitsResource struct {
	clients *Clients
}

// LimitsResourceModel is the state of a portico_limits.
type LimitsResourceModel struct {
	ID        types.String `tfsdk:"id"`
	TableName types.String `tfsdk:"table_name"`
	Document  jsonValue    `tfsdk:"document"`
}

// NewLimitsResource returns a portico_limits resource.
func NewLimitsResource() resource.Resource {
	return &LimitsResource{}
}

func (r *LimitsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_limits"
}

func (r *LimitsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The rate limits the aggregator enforces (global, per IP, per API key, per endpoint, per tier), " +
			"as a JSON document in the item `{pk = \"" + limitsKey + "\", document}` of the state table. " +
			"The document is checked at plan time with the aggregator's own parser: window lengths, request counts, " +
			"shards, leases and fail modes; every faulty rule is reported, each naming the rule. " +
			"Creating it refuses to overwrite a limits document already in the table (another stack's, say) and says how to import it.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The table name, the import ID.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"table_name": schema.StringAttribute{
				MarkdownDescription: "The Portico state table (partition key `pk`). Changing it replaces the item.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{tableNameValidator},
			},
			"document": schema.StringAttribute{
				MarkdownDescription: "The limits document, written with `jsonencode`: " +
					"`{version = 1, rules = [{name, dimension (global|ip|apikey|endpoint|tier|claim), route, tier, claim, requests, " +
					"window (\"1s\", \"1m\", \"1h\", \"1d\", \"month\"), algorithm (fixed|sliding), lease, shards, failMode (open|closed), floor}], usage = {claim}}`. " +
					"Compared as JSON: key order and white space are not changes.",
				CustomType: jsonTypeOf(jsonAny),
				Required:   true,
			},
		},
	}
}

func (r *LimitsResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig refuses a document the aggregator would refuse, with one
// diagnostic per faulty rule.
func (r *LimitsResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var doc jsonValue
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("document"), &doc)...)
	if resp.Diagnostics.HasError() || doc.IsNull() || doc.IsUnknown() {
		return
	}
	addLimitsProblems(&resp.Diagnostics, doc.ValueString())
}

// addLimitsProblems adds one error per problem of the limits document doc.
func addLimitsProblems(diags *diag.Diagnostics, doc string) {
	for _, p := range limitsDocumentProblems(doc) {
		diags.AddAttributeError(path.Root("document"), "Invalid limits document", p.String())
	}
}

// write validates the planned document and puts it, for Create and Update;
// Create does not overwrite an existing document.
func (r *LimitsResource) write(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, create bool, diags *diag.Diagnostics) {
	var data LimitsResourceModel
	diags.Append(plan.Get(ctx, &data)...)
	if diags.HasError() {
		return
	}
	// Checked at plan time unless the document was unknown then.
	if addLimitsProblems(diags, data.Document.ValueString()); diags.HasError() {
		return
	}
	table := data.TableName.ValueString()
	data.ID = data.TableName
	err := r.clients.putStateItem(ctx, table, map[string]ddbtypes.AttributeValue{
		"pk":        &ddbtypes.AttributeValueMemberS{Value: limitsKey},
		"document":  &ddbtypes.AttributeValueMemberS{Value: data.Document.ValueString()},
		"updatedAt": &ddbtypes.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339)},
	}, create, &itemExistsError{What: "a limits document", Table: table, Key: limitsKey, ImportID: table})
	if err == nil {
		err = r.clients.bumpRevision(ctx, table)
	}
	if err != nil {
		addAWSError(diags, "write", "limits document", table, err)
		return
	}
	diags.Append(state.Set(ctx, &data)...)
}

func (r *LimitsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.write(ctx, req.Plan, &resp.State, true, &resp.Diagnostics)
}

func (r *LimitsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data LimitsResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	item, err := r.clients.getStateItem(ctx, data.TableName.ValueString(), limitsKey)
	if err == nil && item == nil {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "limits document", data.TableName.ValueString(), err)
		return
	}
	doc, _ := stringAttr(item, "document") // not a document: "", which the plan rewrites
	data.Document = jsonString(jsonAny, doc)
	data.ID = data.TableName
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *LimitsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.write(ctx, req.Plan, &resp.State, false, &resp.Diagnostics)
}

func (r *LimitsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data LimitsResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.clients.deleteConfigItem(ctx, data.TableName.ValueString(), limitsKey); err != nil {
		addAWSError(&resp.Diagnostics, "delete", "limits document", data.TableName.ValueString(), err)
	}
}

// ImportState takes the table name.
func (r *LimitsResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("table_name"), req.ID)...)
}
