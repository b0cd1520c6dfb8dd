package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/portico-gw/portico/internal/authorizer"
)

var (
	_ datasource.DataSource                   = &AuthSettingsDataSource{}
	_ datasource.DataSourceWithConfigure      = &AuthSettingsDataSource{}
	_ datasource.DataSourceWithValidateConfig = &AuthSettingsDataSource{}
)

// AuthSettingsDataSource checks the authorizer's settings document at plan
// time with the authorizer's own parser (authorizer.Check), as
// aws_iam_policy_document does for policies: an invalid document fails the
// plan instead of the authorizer's cold start.
type AuthSettingsDataSource struct{}

// AuthSettingsDataSourceModel is the data of a portico_auth_settings.
type AuthSettingsDataSourceModel struct {
	ID       types.String `tfsdk:"id"`
	Document types.String `tfsdk:"document"`
	Issuers  types.List   `tfsdk:"issuers"`
}

// NewAuthSettingsDataSource returns a portico_auth_settings data source.
func NewAuthSettingsDataSource() datasource.DataSource { return &AuthSettingsDataSource{} }

func (d *AuthSettingsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_auth_settings"
}

func (d *AuthSettingsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The authorizer's settings document (`internal/authorizer.Settings`; the resource of the same name stores it where the " +
			"authorizer follows it), checked at plan time " +
			"with the authorizer's own parser: issuers and audiences, algorithms, every static public key, JWKS URLs, issuers " +
			"configured by their URL alone for OpenID Connect discovery (https, or plain http to a loopback host), claim paths " +
			"(`realm_access.roles`, `https://example.com/tenant`) and claim mappings. It makes no network call: a discovery " +
			"document is read by the authorizer. Use its `document` where the settings go.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{MarkdownDescription: "The SHA-256 of the document.", Computed: true},
			"document": schema.StringAttribute{
				MarkdownDescription: "The settings as JSON, usually `jsonencode({issuers = [...], cacheTtlSeconds = 60})`; read back unchanged.",
				Required:            true,
			},
			"issuers": schema.ListAttribute{MarkdownDescription: "The issuers' `iss`, in document order.", ElementType: types.StringType, Computed: true},
		},
	}
}

// Configure checks the provider data; the data source makes no AWS call.
func (d *AuthSettingsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig refuses a document the authorizer would refuse.
func (d *AuthSettingsDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var doc types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("document"), &doc)...)
	if resp.Diagnostics.HasError() || doc.IsNull() || doc.IsUnknown() {
		return
	}
	if msg := authSettingsProblem(doc.ValueString()); msg != "" {
		resp.Diagnostics.AddAttributeError(path.Root("document"), "Invalid authorizer settings", msg)
	}
}

// authSettingsProblem returns what is wrong with doc, or "".
func authSettingsProblem(doc string) string {
	if _, err := authorizer.Check([]byte(doc)); err != nil {
		return strings.TrimPrefix(err.Error(), "authorizer: settings: ")
	}
	return ""
}

func (d *AuthSettingsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var data AuthSettingsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, err := authorizer.Check([]byte(data.Document.ValueString()))
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("document"), "Invalid authorizer settings", strings.TrimPrefix(err.Error(), "authorizer: settings: "))
		return
	}
	sum := sha256.Sum256([]byte(data.Document.ValueString()))
	data.ID = types.StringValue(hex.EncodeToString(sum[:]))
	var issuers []string
	for _, is := range s.Issuers {
		issuers = append(issuers, is.Issuer)
	}
	list, diags := types.ListValueFrom(ctx, types.StringType, issuers)
	resp.Diagnostics.Append(diags...)
	data.Issuers = list
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}
