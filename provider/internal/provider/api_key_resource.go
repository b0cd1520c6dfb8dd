package provider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	_ resource.Resource                = &APIKeyResource{}
	_ resource.ResourceWithConfigure   = &APIKeyResource{}
	_ resource.ResourceWithImportState = &APIKeyResource{}
)

// APIKeyResource manages an API key record in the state table. Only the key's
// SHA-256 is stored in AWS; the key itself lives in Terraform state (sensitive).
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
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "An API key (sent by clients as `x-api-key`) and its subscription tier. " +
			"The aggregator resolves the key to its tier; an unknown or disabled key gets 403. " +
			"Only the key's SHA-256 is written to the table (item `{pk: \"apikey#<sha256>\", name, tier, enabled}`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<table_name>/<key_hash>`, the import ID.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"table_name": schema.StringAttribute{
				MarkdownDescription: "The Portico state table (hash key `pk`). Changing it replaces the key.",
				Required:            true,
				PlanModifiers:       replace,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Who the key belongs to, e.g. `partner-acme`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 128)},
			},
			"key": schema.StringAttribute{
				MarkdownDescription: "The key. Leave it out to have a random 256-bit key generated. At least 20 characters. " +
					"Changing it replaces the key. Unknown after import (only its hash is stored).",
				Optional:      true,
				Computed:      true,
				Sensitive:     true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplaceIfConfigured()},
				Validators:    []validator.String{stringvalidator.LengthBetween(20, 256)},
			},
			"key_hash": schema.StringAttribute{
				MarkdownDescription: "Hex SHA-256 of the key: what the table stores.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
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

func (r *APIKeyResource) put(ctx context.Context, data APIKeyResourceModel) error {
	_, err := r.clients.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(data.TableName.ValueString()),
		Item: map[string]ddbtypes.AttributeValue{
			"pk":      &ddbtypes.AttributeValueMemberS{Value: apikeydynamo.KeyPrefix + data.KeyHash.ValueString()},
			"name":    &ddbtypes.AttributeValueMemberS{Value: data.Name.ValueString()},
			"tier":    &ddbtypes.AttributeValueMemberS{Value: data.Tier.ValueString()},
			"enabled": &ddbtypes.AttributeValueMemberBOOL{Value: data.Enabled.ValueBool()},
		},
	})
	return err
}

func (r *APIKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data APIKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if data.Key.IsNull() || data.Key.IsUnknown() {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			resp.Diagnostics.AddError("Cannot generate API key", err.Error())
			return
		}
		data.Key = types.StringValue(base64.RawURLEncoding.EncodeToString(b))
	}
	data.KeyHash = types.StringValue(apikey.Hash(data.Key.ValueString()))
	data.ID = types.StringValue(data.TableName.ValueString() + "/" + data.KeyHash.ValueString())
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "key")
	tflog.Debug(ctx, "creating API key", map[string]any{"name": data.Name.ValueString(), "tier": data.Tier.ValueString()})
	if err := r.put(ctx, data); err != nil {
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
	if v, ok := item["name"].(*ddbtypes.AttributeValueMemberS); ok {
		data.Name = types.StringValue(v.Value)
	}
	if v, ok := item["tier"].(*ddbtypes.AttributeValueMemberS); ok {
		data.Tier = types.StringValue(v.Value)
	}
	v, ok := item["enabled"].(*ddbtypes.AttributeValueMemberBOOL)
	data.Enabled = types.BoolValue(ok && v.Value)
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *APIKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var data, state APIKeyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data.Key, data.KeyHash, data.ID = state.Key, state.KeyHash, state.ID
	if err := r.put(ctx, data); err != nil {
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
	if !ok || table == "" || len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return "", "", fmt.Errorf("import ID %q: want <table_name>/<key_hash>, the hash being 64 lower-case hex digits", id)
	}
	return table, hash, nil
}
