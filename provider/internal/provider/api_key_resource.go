package provider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/internal/apikey"
	apikeydynamo "github.com/portico-gw/portico/internal/apikey/dynamo"
)

var (
	_ resource.Resource                   = &APIKeyResource{}
	_ resource.ResourceWithConfigure      = &APIKeyResource{}
	_ resource.ResourceWithImportState    = &APIKeyResource{}
	_ resource.ResourceWithValidateConfig = &APIKeyResource{}
	_ resource.ResourceWithModifyPlan     = &APIKeyResource{}
)

// keyHashPattern is a hex SHA-256, as apikey.Hash writes it.
var keyHashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// APIKeyResource manages an API key record in the state table. The table
// only ever holds the key's SHA-256. The key itself reaches Terraform state
// only when the configuration gives it (key) or asks the provider to make one
// (generate); given as key_hash, nothing secret is in state.
type APIKeyResource struct {
	clients *Clients
}

// APIKeyResourceModel is the state of a portico_api_key.
type APIKeyResourceModel struct {
	ID        types.String `tfsdk:"id"`
	TableName types.String `tfsdk:"table_name"`
	Name      types.String `tfsdk:"name"`
	Key       types.String `tfsdk:"key"`
	KeyHash   types.String `tfsdk:"key_hash"`
	Generate  types.Bool   `tfsdk:"generate"`
	Tier      types.String `tfsdk:"tier"`
	Enabled   types.Bool   `tfsdk:"enabled"`
}

// NewAPIKeyResource returns a portico_api_key resource.
func NewAPIKeyResource() resource.Resource {
	return &APIKeyResource{}
}

func (r *APIKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api_key"
}

func (r *APIKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An API key (sent by clients as `x-api-key`) and its subscription tier. " +
			"The aggregator resolves the key to its tier; an unknown or disabled key gets 403. " +
			"Only the key's SHA-256 is written to the table (item `{pk: \"apikey#<sha256>\", name, tier, enabled}`).\n\n" +
			"Give the key in one of three ways:\n\n" +
			"* `key_hash`: the hex SHA-256 of a key made and kept elsewhere (Secrets Manager, a vault, the partner's own " +
			"system). **Nothing secret reaches Terraform state**; this is the way for production keys. " +
			"`printf %s \"$KEY\" | sha256sum` computes it.\n" +
			"* `key`: the key itself, for example from a secret store's data source. It is kept in state (sensitive, but " +
			"readable by anyone who can read the state).\n" +
			"* `generate = true`: the provider makes a random 256-bit key and keeps it in state (`key`), where an output can " +
			"hand it over. Convenient for development stacks; the key is as safe as the state. It cannot be read back from " +
			"the table, so an imported generated key has no `key`.\n\n" +
			"A key whose hash does not change is never replaced: switching between the three ways, or importing a key and " +
			"giving its `key`, updates in place. Creating a key refuses to overwrite an item already in the table and says how " +
			"to import it.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<table_name>/<key_hash>`, the import ID.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"table_name": schema.StringAttribute{
				MarkdownDescription: "The Portico state table (hash key `pk`). Changing it replaces the key.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{tableNameValidator},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Who the key belongs to, e.g. `partner-acme`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 128)},
			},
			"key": schema.StringAttribute{
				MarkdownDescription: "The key, at least 20 characters, when the configuration gives it; the generated key with " +
					"`generate = true`. Stored in state (sensitive). A key with another hash replaces the item.",
				Optional:   true,
				Computed:   true,
				Sensitive:  true,
				Validators: []validator.String{stringvalidator.LengthBetween(20, 256)},
			},
			"key_hash": schema.StringAttribute{
				MarkdownDescription: "Hex SHA-256 of the key (64 lower-case hex digits): what the table stores. Give it instead " +
					"of `key` to keep the key out of Terraform state; computed from `key` otherwise. Changing it replaces the item.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.RegexMatches(keyHashPattern, "must be 64 lower-case hex digits, a SHA-256 such as sha256sum prints")},
			},
			"generate": schema.BoolAttribute{
				MarkdownDescription: "Make a random 256-bit key (base64url, 43 characters) and keep it in state as `key`. " +
					"For development stacks: see the trade-off above.",
				Optional: true,
			},
			"tier": schema.StringAttribute{
				MarkdownDescription: "Subscription tier: one of `" + strings.Join(apikey.Tiers, "`, `") + "`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf(apikey.Tiers...)},
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Disabled keys are refused. Default `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
		},
	}
}

func (r *APIKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig requires exactly one of key, key_hash and generate = true.
func (r *APIKeyResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var data APIKeyResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if data.Generate.IsUnknown() {
		return
	}
	var set []string
	if !data.Key.IsNull() {
		set = append(set, "key")
	}
	if !data.KeyHash.IsNull() {
		set = append(set, "key_hash")
	}
	if data.Generate.ValueBool() {
		set = append(set, "generate = true")
	}
	if len(set) != 1 {
		detail := "Give exactly one of key_hash (the key's SHA-256: nothing secret in state), key (the key itself, kept in state) " +
			"or generate = true (a random key, kept in state)"
		if len(set) > 1 {
			detail += "; this configuration gives " + strings.Join(set, " and ")
		}
		resp.Diagnostics.AddAttributeError(path.Root("key_hash"), "Which key?", detail+".")
	}
}

// ModifyPlan plans key and key_hash from whichever the configuration gives,
// and replaces the key only when its hash changes: switching between key,
// key_hash and generate, or giving the key of an imported key_hash, updates
// in place.
func (r *APIKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config APIKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *APIKeyResourceModel
	if !req.State.Raw.IsNull() {
		state = &APIKeyResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	switch {
	case !config.Key.IsNull():
		plan.Key = config.Key
		plan.KeyHash = types.StringUnknown()
		if !config.Key.IsUnknown() {
			plan.KeyHash = types.StringValue(apikey.Hash(config.Key.ValueString()))
		}
	case !config.KeyHash.IsNull():
		plan.KeyHash = config.KeyHash
		plan.Key = types.StringNull()
	case state != nil && !state.KeyHash.IsNull():
		// generate = true with a key already made (or imported): keep it.
		plan.KeyHash, plan.Key = state.KeyHash, state.Key
	default:
		plan.KeyHash, plan.Key = types.StringUnknown(), types.StringUnknown()
	}
	if state != nil && !plan.TableName.IsUnknown() && plan.TableName.Equal(state.TableName) {
		plan.ID = state.ID
	} else {
		plan.ID = types.StringUnknown()
	}
	if state != nil && (plan.KeyHash.IsUnknown() || !plan.KeyHash.Equal(state.KeyHash)) {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("key_hash"))
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *APIKeyResource) item(data APIKeyResourceModel) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"pk":      &ddbtypes.AttributeValueMemberS{Value: apikeydynamo.KeyPrefix + data.KeyHash.ValueString()},
		"name":    &ddbtypes.AttributeValueMemberS{Value: data.Name.ValueString()},
		"tier":    &ddbtypes.AttributeValueMemberS{Value: data.Tier.ValueString()},
		"enabled": &ddbtypes.AttributeValueMemberBOOL{Value: data.Enabled.ValueBool()},
	}
}

// generateKey is a random 256-bit key, base64url without padding.
func generateKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (r *APIKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data APIKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	switch {
	case data.Generate.ValueBool() && (data.Key.IsNull() || data.Key.IsUnknown()):
		key, err := generateKey()
		if err != nil {
			resp.Diagnostics.AddError("Cannot generate API key", err.Error())
			return
		}
		data.Key = types.StringValue(key)
		data.KeyHash = types.StringValue(apikey.Hash(key))
	case !data.Key.IsNull() && !data.Key.IsUnknown():
		data.KeyHash = types.StringValue(apikey.Hash(data.Key.ValueString()))
	default:
		data.Key = types.StringNull()
	}
	table, hash := data.TableName.ValueString(), data.KeyHash.ValueString()
	data.ID = types.StringValue(table + "/" + hash)
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "key")
	tflog.Debug(ctx, "creating API key", map[string]any{"name": data.Name.ValueString(), "tier": data.Tier.ValueString()})
	err := r.clients.putStateItem(ctx, table, r.item(data), true,
		&itemExistsError{What: fmt.Sprintf("an API key with this key's hash (%s...)", hash[:16]), Table: table, Key: apikeydynamo.KeyPrefix + hash, ImportID: data.ID.ValueString()})
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "API key", data.Name.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *APIKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data APIKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	item, err := r.clients.getStateItem(ctx, data.TableName.ValueString(), apikeydynamo.KeyPrefix+data.KeyHash.ValueString())
	if err == nil && item == nil {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "API key", data.Name.ValueString(), err)
		return
	}
	if v, ok := stringAttr(item, "name"); ok {
		data.Name = types.StringValue(v)
	}
	if v, ok := stringAttr(item, "tier"); ok {
		data.Tier = types.StringValue(v)
	}
	v, ok := item["enabled"].(*ddbtypes.AttributeValueMemberBOOL)
	data.Enabled = types.BoolValue(ok && v.Value)
	data.ID = types.StringValue(data.TableName.ValueString() + "/" + data.KeyHash.ValueString())
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// Update rewrites the item (same hash: a new hash replaces the key). It only
// records a key given after an import: the table already has its hash.
func (r *APIKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var data APIKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.clients.putStateItem(ctx, data.TableName.ValueString(), r.item(data), false, nil); err != nil {
		addAWSError(&resp.Diagnostics, "update", "API key", data.Name.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *APIKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data APIKeyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.clients.deleteStateItem(ctx, data.TableName.ValueString(), apikeydynamo.KeyPrefix+data.KeyHash.ValueString()); err != nil {
		addAWSError(&resp.Diagnostics, "delete", "API key", data.Name.ValueString(), err)
	}
}

// ImportState takes "<table_name>/<key_hash>".
func (r *APIKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	table, hash, err := parseAPIKeyImportID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("table_name"), table)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("key_hash"), hash)...)
}

func parseAPIKeyImportID(id string) (table, hash string, err error) {
	table, hash, ok := strings.Cut(id, "/")
	if !ok || table == "" || !keyHashPattern.MatchString(hash) {
		return "", "", fmt.Errorf("import ID %q: want <table_name>/<key_hash>, the hash being 64 lower-case hex digits", id)
	}
	return table, hash, nil
}
