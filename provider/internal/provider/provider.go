package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/internal/awsconfig"
)

var _ provider.Provider = &PorticoProvider{}

// PorticoProvider is the Portico Terraform provider.
type PorticoProvider struct {
	// version is "dev" for local builds and the release version otherwise.
	version string
}

// PorticoProviderModel is the provider block.
type PorticoProviderModel struct {
	Region              types.String      `tfsdk:"region"`
	Endpoint            types.String      `tfsdk:"endpoint"`
	CABundle            types.String      `tfsdk:"ca_bundle"`
	Profile             types.String      `tfsdk:"profile"`
	AssumeRole          *assumeRoleModel  `tfsdk:"assume_role"`
	AllowedAccountIDs   types.Set         `tfsdk:"allowed_account_ids"`
	ForbiddenAccountIDs types.Set         `tfsdk:"forbidden_account_ids"`
	DefaultTags         *defaultTagsModel `tfsdk:"default_tags"`
}

// assumeRoleModel is the provider's assume_role block.
type assumeRoleModel struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	SessionName types.String `tfsdk:"session_name"`
	ExternalID  types.String `tfsdk:"external_id"`
	Duration    types.String `tfsdk:"duration"`
}

// defaultTagsModel is the provider's default_tags block.
type defaultTagsModel struct {
	Tags types.Map `tfsdk:"tags"`
}

// defaultSessionName names the provider's assumed-role sessions.
const defaultSessionName = "terraform-provider-portico"

// Clients are the AWS clients that the resources share. They are built once in
// Configure and handed to every resource.
type Clients struct {
	DynamoDB         *dynamodb.Client
	Lambda           *lambda.Client
	APIGateway       *apigateway.Client
	ServiceDiscovery *servicediscovery.Client
	STS              *sts.Client
	IAM              *iam.Client
	SecretsManager   *secretsmanager.Client
	Logs             *cloudwatchlogs.Client
	// DefaultTags are the provider's default_tags, merged into every
	// taggable resource's tags.
	DefaultTags map[string]string
	// Region is the region the clients talk to.
	Region string
	// Endpoint is the emulator base URL without a trailing slash, or empty for AWS.
	Endpoint string
}

// New returns a constructor of the provider for providerserver.Serve.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &PorticoProvider{version: version}
	}
}

func (p *PorticoProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "portico"
	resp.Version = p.version
}

func (p *PorticoProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages the AWS resources a Portico API gateway runs on. " +
			"Credentials come from the default AWS chain (environment, shared config and `profile`, SSO, instance role), " +
			"optionally through an assumed role (`assume_role`). `allowed_account_ids` or `forbidden_account_ids` stop " +
			"a plan or apply aimed at the wrong account before it touches anything. `default_tags` are merged into the " +
			"`tags` of every taggable resource (a resource's own `tags` win).",
		Blocks: map[string]schema.Block{
			"assume_role": schema.SingleNestedBlock{
				MarkdownDescription: "A role to assume with the credentials of the default chain; every call is made as it.",
				Attributes: map[string]schema.Attribute{
					"role_arn": schema.StringAttribute{
						MarkdownDescription: "ARN of the role to assume. Required in the block.",
						Optional:            true,
						Validators:          []validator.String{roleARNValidator},
					},
					"session_name": schema.StringAttribute{
						MarkdownDescription: "Session name (CloudTrail shows it). Defaults to `" + defaultSessionName + "`.",
						Optional:            true,
						Validators: []validator.String{stringvalidator.LengthBetween(2, 64),
							stringvalidator.RegexMatches(sessionNamePattern, "may contain letters, digits and =,.@-_ only")},
					},
					"external_id": schema.StringAttribute{
						MarkdownDescription: "External ID the role's trust policy requires, if any.",
						Optional:            true,
						Validators:          []validator.String{stringvalidator.LengthBetween(2, 1224)},
					},
					"duration": schema.StringAttribute{
						MarkdownDescription: "How long the session lasts, a Go duration from `15m` to `12h` (and at most the " +
							"role's maximum session duration). Defaults to `1h`.",
						Optional:   true,
						Validators: []validator.String{durationBetween(15*time.Minute, 12*time.Hour)},
					},
				},
			},
			"default_tags": schema.SingleNestedBlock{
				MarkdownDescription: "Tags every taggable resource of the provider gets, as with the hashicorp/aws provider.",
				Attributes: map[string]schema.Attribute{
					"tags": schema.MapAttribute{
						MarkdownDescription: "Tags by key. A resource's own `tags` win for the same key.",
						ElementType:         types.StringType,
						Optional:            true,
						Validators:          tagsValidators(),
					},
				},
			},
		},
		Attributes: map[string]schema.Attribute{
			"profile": schema.StringAttribute{
				MarkdownDescription: "Named profile of the shared AWS config and credentials files. Defaults to `AWS_PROFILE` or `default`.",
				Optional:            true,
			},
			"allowed_account_ids": schema.SetAttribute{
				MarkdownDescription: "The only AWS accounts the provider may act in: with any other, configuration fails " +
					"before any resource is read or changed. Conflicts with `forbidden_account_ids`.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(accountIDPattern, "must be a 12-digit AWS account ID")),
					setvalidator.ConflictsWith(path.MatchRoot("forbidden_account_ids"))},
			},
			"forbidden_account_ids": schema.SetAttribute{
				MarkdownDescription: "AWS accounts the provider must never act in: with one of them, configuration fails " +
					"before any resource is read or changed.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Set{setvalidator.ValueStringsAre(stringvalidator.RegexMatches(accountIDPattern, "must be a 12-digit AWS account ID"))},
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "AWS region, for example `eu-west-1`. Defaults to `AWS_REGION` or the shared config.",
				Optional:            true,
			},
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Base URL of a LocalStack-compatible emulator, for example `https://localhost:4566`, " +
					"used for every service. Leave unset for AWS.",
				Optional: true,
			},
			"ca_bundle": schema.StringAttribute{
				MarkdownDescription: "Path of a PEM file with extra certificate authorities to trust, " +
					"for an emulator that serves HTTPS with a local CA.",
				Optional: true,
			},
		},
	}
}

func (p *PorticoProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var data PorticoProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]types.String{"region": data.Region, "endpoint": data.Endpoint, "ca_bundle": data.CABundle, "profile": data.Profile} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown provider configuration",
				"The provider cannot be configured because "+name+" is not known until apply. "+
					"Set it to a value known at plan time.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	opts := awsconfig.Options{
		Region:   data.Region.ValueString(),
		Endpoint: data.Endpoint.ValueString(),
		CABundle: data.CABundle.ValueString(),
		Profile:  data.Profile.ValueString(),
	}
	cfg, err := awsconfig.Load(ctx, opts)
	if err != nil {
		resp.Diagnostics.AddError("Cannot configure the Portico provider", err.Error())
		return
	}
	if data.AssumeRole != nil {
		if err := assumeRole(&cfg, data.AssumeRole); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("assume_role"), "Cannot configure the Portico provider", err.Error())
			return
		}
	}
	clients := newClients(cfg)
	if data.DefaultTags != nil {
		if clients.DefaultTags, err = mapStrings(ctx, data.DefaultTags.Tags); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("default_tags"), "Invalid default tags", err.Error())
			return
		}
	}
	if !data.AllowedAccountIDs.IsNull() || !data.ForbiddenAccountIDs.IsNull() {
		allowed, diags := setStrings(ctx, data.AllowedAccountIDs)
		resp.Diagnostics.Append(diags...)
		forbidden, diags := setStrings(ctx, data.ForbiddenAccountIDs)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		who, err := callerIdentity(ctx, clients.STS)
		if err != nil {
			resp.Diagnostics.AddError("Cannot check the AWS account", "allowed_account_ids or forbidden_account_ids is set, "+
				"so the provider asks STS which account its credentials belong to: "+err.Error())
			return
		}
		if err := checkAccount(who.Account, allowed, forbidden); err != nil {
			resp.Diagnostics.AddError("Wrong AWS account", err.Error())
			return
		}
	}
	tflog.Debug(ctx, "configured Portico provider", map[string]any{"region": clients.Region, "endpoint": clients.Endpoint})

	resp.ResourceData = clients
	resp.DataSourceData = clients
}

// newClients builds the service clients from cfg. An endpoint set in the
// provider block or through AWS_ENDPOINT_URL means an emulator.
func newClients(cfg aws.Config) *Clients {
	custom := awsconfig.UsesCustomEndpoint(cfg)
	var endpoint string
	if custom {
		endpoint = strings.TrimRight(aws.ToString(cfg.BaseEndpoint), "/")
	}
	return &Clients{
		DynamoDB: dynamodb.NewFromConfig(cfg),
		Lambda:   lambda.NewFromConfig(cfg),
		APIGateway: apigateway.NewFromConfig(cfg, func(o *apigateway.Options) {
			// The API Gateway control plane throttles hard (CreateRestApi and
			// DeleteRestApi allow a few calls a minute): retry for longer.
			o.RetryMaxAttempts = 10
			if custom {
				o.APIOptions = append(o.APIOptions, fixAuthorizerTTL)
			}
		}),
		ServiceDiscovery: servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
			if custom {
				o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
			}
		}),
		STS:            sts.NewFromConfig(cfg),
		IAM:            iam.NewFromConfig(cfg),
		SecretsManager: secretsmanager.NewFromConfig(cfg),
		Logs:           cloudwatchlogs.NewFromConfig(cfg),
		Region:         cfg.Region,
		Endpoint:       endpoint,
	}
}

// assumeRole makes cfg's credentials those of a session of the role in ar,
// obtained with cfg's own credentials and refreshed before they expire.
func assumeRole(cfg *aws.Config, ar *assumeRoleModel) error {
	if ar.RoleARN.IsNull() || ar.RoleARN.ValueString() == "" {
		return fmt.Errorf("assume_role needs role_arn")
	}
	for _, v := range []types.String{ar.RoleARN, ar.SessionName, ar.ExternalID, ar.Duration} {
		if v.IsUnknown() {
			return fmt.Errorf("assume_role is not known until apply; set it to values known at plan time")
		}
	}
	duration := time.Hour
	if d := ar.Duration.ValueString(); d != "" {
		var err error
		if duration, err = time.ParseDuration(d); err != nil {
			return fmt.Errorf("assume_role duration %q: %w", d, err)
		}
	}
	session := defaultSessionName
	if s := ar.SessionName.ValueString(); s != "" {
		session = s
	}
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(*cfg), ar.RoleARN.ValueString(), func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = session
		o.Duration = duration
		if id := ar.ExternalID.ValueString(); id != "" {
			o.ExternalID = aws.String(id)
		}
	})
	cfg.Credentials = aws.NewCredentialsCache(provider)
	return nil
}

// checkAccount refuses an account outside allowed (when set) or in forbidden.
func checkAccount(account string, allowed, forbidden []string) error {
	if len(allowed) > 0 && !slices.Contains(allowed, account) {
		return fmt.Errorf("the credentials belong to AWS account %s, which is not in allowed_account_ids (%s); "+
			"nothing was read or changed", account, strings.Join(allowed, ", "))
	}
	if slices.Contains(forbidden, account) {
		return fmt.Errorf("the credentials belong to AWS account %s, which is in forbidden_account_ids; nothing was read or changed", account)
	}
	return nil
}

// Resources lists every resource of the provider.
func (p *PorticoProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewTableResource,
		NewFunctionResource,
		NewAPIResource,
		NewServiceNamespaceResource,
		NewServiceResource,
		NewServicePolicyResource,
		NewServiceInstanceResource,
		NewAPIKeyResource,
		NewLambdaRoleResource,
		NewLimitsResource,
		NewAuthSettingsResource,
		NewGRPCDescriptorsResource,
		NewRouteTableResource,
		NewMeshCAResource,
		NewMeshCertificateResource,
		NewLayerResource,
		NewDomainResource,
	}
}

// DataSources lists every data source of the provider.
func (p *PorticoProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewAPIDataSource,
		NewServiceInstancesDataSource,
		NewCallerDataSource,
		NewAuthSettingsDataSource,
	}
}

// clientsFrom extracts the Clients that Configure stored, for a resource's
// Configure. It returns nil, without a diagnostic, before the provider is
// configured (Terraform calls resource Configure early during validation).
func clientsFrom(providerData any, diags *diag.Diagnostics) *Clients {
	if providerData == nil {
		return nil
	}
	c, ok := providerData.(*Clients)
	if !ok {
		diags.AddError("Unexpected provider data",
			"Expected *provider.Clients; this is a bug in the provider, please report it.")
		return nil
	}
	return c
}
