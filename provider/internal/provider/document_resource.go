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
	_ resource.Resource                   = &DocumentResource{}
	_ resource.ResourceWithConfigure      = &DocumentResource{}
	_ resource.ResourceWithImportState    = &DocumentResource{}
	_ resource.ResourceWithValidateConfig = &DocumentResource{}
)

// documentKind is one kind of configuration document that lives alone in
// an item of the state table: the rate limits (portico_limits) and the
// authorizer's settings (portico_auth_settings).
type documentKind struct {
	// typeName follows the provider's name: "_limits".
	typeName string
	// key is the item's pk.
	key string
	// what names the document in messages: "limits document".
	what string
	// description and documentDescription are the resource's and its
	// document attribute's Markdown.
	description, documentDescription string
	// invalid is the summary of a plan-time error: "Invalid limits document".
	invalid string
	// problems checks a document with the functions' own parser and
	// returns one message per problem.
	problems func(doc string) []string
}

// DocumentResource writes one configuration document to its item of the
// state table, checked at plan time, and bumps the configuration's revision
// so that the functions read it within their refresh interval.
type DocumentResource struct {
	kind    documentKind
	clients *Clients
}

// DocumentResourceModel is the state of a document resource.
type DocumentResourceModel struct {
	ID        types.String `tfsdk:"id"`
	TableName types.String `tfsdk:"table_name"`
	Document  jsonValue    `tfsdk:"document"`
}

func (r *DocumentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + r.kind.typeName
}

func (r *DocumentResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: r.kind.description + " Creating it refuses to overwrite a " + r.kind.what +
			" already in the table (another stack's, say) and says how to import it.",
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
				MarkdownDescription: r.kind.documentDescription + " Compared as JSON: key order and white space are not changes.",
				CustomType:          jsonTypeOf(jsonAny),
				Required:            true,
			},
		},
	}
}

func (r *DocumentResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig refuses a document the functions would refuse, one error
// per problem.
func (r *DocumentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var doc jsonValue
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("document"), &doc)...)
	if resp.Diagnostics.HasError() || doc.IsNull() || doc.IsUnknown() {
		return
	}
	r.addProblems(&resp.Diagnostics, doc.ValueString())
}

func (r *DocumentResource) addProblems(diags *diag.Diagnostics, doc string) {
	for _, p := range r.kind.problems(doc) {
		diags.AddAttributeError(path.Root("document"), r.kind.invalid, p)
	}
}

// write validates the planned document and puts it, for Create and Update;
// Create does not overwrite an existing document.
func (r *DocumentResource) write(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, create bool, diags *diag.Diagnostics) {
	var data DocumentResourceModel
	diags.Append(plan.Get(ctx, &data)...)
	if diags.HasError() {
		return
	}
	// Checked at plan time unless the document was unknown then.
	if r.addProblems(diags, data.Document.ValueString()); diags.HasError() {
		return
	}
	table := data.TableName.ValueString()
	data.ID = data.TableName
	err := r.clients.putStateItem(ctx, table, map[string]ddbtypes.AttributeValue{
		statetable.KeyAttr:      &ddbtypes.AttributeValueMemberS{Value: r.kind.key},
		statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: data.Document.ValueString()},
		"updatedAt":             &ddbtypes.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339)},
	}, create, &itemExistsError{What: "a " + r.kind.what, Table: table, Key: r.kind.key, ImportID: table})
	if err == nil {
		err = r.clients.bumpRevision(ctx, table)
	}
	if err != nil {
		addAWSError(diags, "write", r.kind.what, table, err)
		return
	}
	diags.Append(state.Set(ctx, &data)...)
}

func (r *DocumentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.write(ctx, req.Plan, &resp.State, true, &resp.Diagnostics)
}

func (r *DocumentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data DocumentResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	item, err := r.clients.getStateItem(ctx, data.TableName.ValueString(), r.kind.key)
	if err == nil && item == nil {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", r.kind.what, data.TableName.ValueString(), err)
		return
	}
	doc, _ := stringAttr(item, statetable.DocumentAttr) // not a document: "", which the plan rewrites
	data.Document = jsonString(jsonAny, doc)
	data.ID = data.TableName
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *DocumentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.write(ctx, req.Plan, &resp.State, false, &resp.Diagnostics)
}

func (r *DocumentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data DocumentResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.clients.deleteConfigItem(ctx, data.TableName.ValueString(), r.kind.key); err != nil {
		addAWSError(&resp.Diagnostics, "delete", r.kind.what, data.TableName.ValueString(), err)
	}
}

// ImportState takes the table name.
func (r *DocumentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("table_name"), req.ID)...)
}
