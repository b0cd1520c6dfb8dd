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
	_ resource.Resource                   = &AuthSettingsResource{}
	_ resource.ResourceWithConfigure      = &AuthSettingsResource{}
	_ resource.ResourceWithImportState    = &AuthSettingsResource{}
	_ resource.ResourceWithValidateConfig = &AuthSettingsResource{}
)

// authKey is the pk of the authorizer's settings in the state table.
const authKey = statetable.AuthKey

// AuthSettingsResource writes the authorizer's settings document where the
// authorizer reads it (PORTICO_TABLE): an issuer, key or claim change is then
// a terraform apply, with no new function version.
type AuthSettingsResource struct {
	clients *Clients
}

// AuthSettingsResourceModel is the state of a portico_auth_settings.
type AuthSettingsResourceModel struct {
	ID        types.String `tfsdk:"id"`
	TableName types.String `tfsdk:"table_name"`
	Document  jsonValue    `tfsdk:"document"`
}

// NewAuthSettingsResource returns a portico_auth_settings resource.
func NewAuthSettingsResource() resource.Resource {
	return &AuthSettingsResource{}
}

func (r *AuthSettingsResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_auth_settings"
}

func (r *AuthSettingsResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The authorizer's settings (issuers, audiences, algorithms, keys, JWKS or OpenID Connect discovery URLs, " +
			"claim paths and mappings, cache TTL) as a JSON document in the item `{pk = \"" + authKey + "\", document}` of the state " +
			"table, where an authorizer with `PORTICO_TABLE` reads it and follows it: a change takes effect within the functions' " +
			"refresh interval, with no new function version. Checked at plan time with the authorizer's own parser, as the " +
			"`portico_auth_settings` data source checks it. Creating it refuses to overwrite settings already in the table and says " +
			"how to import them.",
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
				MarkdownDescription: "The settings, written with `jsonencode`: `{issuers = [{issuer, audiences, algorithms, publicKeys, " +
					"jwksUrl, rolesClaim, scopesClaim, tierClaim, claimMappings}], leewaySeconds, cacheTtlSeconds, v2Response}`. " +
					"Compared as JSON: key order and white space are not changes.",
				CustomType: jsonTypeOf(jsonAny),
				Required:   true,
			},
		},
	}
}

func (r *AuthSettingsResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig refuses a document the authorizer would refuse.
func (r *AuthSettingsResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var doc jsonValue
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("document"), &doc)...)
	if resp.Diagnostics.HasError() || doc.IsNull() || doc.IsUnknown() {
		return
	}
	addAuthSettingsProblem(&resp.Diagnostics, doc.ValueString())
}

// addAuthSettingsProblem adds an error when the authorizer would refuse doc.
func addAuthSettingsProblem(diags *diag.Diagnostics, doc string) {
	if msg := authSettingsProblem(doc); msg != "" {
		diags.AddAttributeError(path.Root("document"), "Invalid authorizer settings", msg)
	}
}

// write validates the planned document and puts it, for Create and Update;
// Create does not overwrite an existing document.
func (r *AuthSettingsResource) write(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, create bool, diags *diag.Diagnostics) {
	var data AuthSettingsResourceModel
	diags.Append(plan.Get(ctx, &data)...)
	if diags.HasError() {
		return
	}
	// Checked at plan time unless the document was unknown then.
	if addAuthSettingsProblem(diags, data.Document.ValueString()); diags.HasError() {
		return
	}
	table := data.TableName.ValueString()
	data.ID = data.TableName
	err := r.clients.putStateItem(ctx, table, map[string]ddbtypes.AttributeValue{
		statetable.KeyAttr:      &ddbtypes.AttributeValueMemberS{Value: authKey},
		statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: data.Document.ValueString()},
		"updatedAt":             &ddbtypes.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339)},
	}, create, &itemExistsError{What: "authorizer settings", Table: table, Key: authKey, ImportID: table})
	if err == nil {
		err = r.clients.bumpRevision(ctx, table)
	}
	if err != nil {
		addAWSError(diags, "write", "authorizer settings", table, err)
		return
	}
	diags.Append(state.Set(ctx, &data)...)
}

func (r *AuthSettingsResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.write(ctx, req.Plan, &resp.State, true, &resp.Diagnostics)
}

func (r *AuthSettingsResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data AuthSettingsResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	item, err := r.clients.getStateItem(ctx, data.TableName.ValueString(), authKey)
	if err == nil && item == nil {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "authorizer settings", data.TableName.ValueString(), err)
		return
	}
	doc, _ := stringAttr(item, statetable.DocumentAttr) // not a document: "", which the plan rewrites
	data.Document = jsonString(jsonAny, doc)
	data.ID = data.TableName
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *AuthSettingsResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.write(ctx, req.Plan, &resp.State, false, &resp.Diagnostics)
}

func (r *AuthSettingsResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data AuthSettingsResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.clients.deleteConfigItem(ctx, data.TableName.ValueString(), authKey); err != nil {
		addAWSError(&resp.Diagnostics, "delete", "authorizer settings", data.TableName.ValueString(), err)
	}
}

// ImportState takes the table name.
func (r *AuthSettingsResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("table_name"), req.ID)...)
}
