package provider

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
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
	Region   types.String `tfsdk:"region"`
	Endpoint types.String `tfsdk:"endpoint"`
	CABundle types.String `tfsdk:"ca_bundle"`
}

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
			"Credentials come from the default AWS chain (environment, shared config, SSO, instance role).",
		Attributes: map[string]schema.Attribute{
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
	for name, v := range map[string]types.String{"region": data.Region, "endpoint": data.Endpoint, "ca_bundle": data.CABundle} {
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
	}
	cfg, err := awsconfig.Load(ctx, opts)
	if err != nil {
		resp.Diagnostics.AddError("Cannot configure the Portico provider", err.Error())
		return
	}
	clients := newClients(cfg)
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
		Region:         cfg.Region,
		Endpoint:       endpoint,
	}
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
		NewGRPCDescriptorsResource,
		NewRouteTableResource,
		NewMeshCAResource,
		NewMeshCertificateResource,
		NewLayerResource,
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
