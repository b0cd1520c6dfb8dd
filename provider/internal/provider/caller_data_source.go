package provider

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = &CallerDataSource{}
	_ datasource.DataSourceWithConfigure = &CallerDataSource{}
)

// CallerDataSource tells who the provider acts as: the account for ARNs in
// policies.
type CallerDataSource struct {
	clients *Clients
}

// CallerDataSourceModel is the data of a portico_caller data source.
type CallerDataSourceModel struct {
	AccountID types.String `tfsdk:"account_id"`
	ARN       types.String `tfsdk:"arn"`
	Region    types.String `tfsdk:"region"`
}

// NewCallerDataSource returns a portico_caller data source.
func NewCallerDataSource() datasource.DataSource {
	return &CallerDataSource{}
}

func (d *CallerDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_caller"
}

func (d *CallerDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The AWS account, identity and region the provider acts as (STS GetCallerIdentity), " +
			"for building ARNs in least-privilege policies.",
		Attributes: map[string]schema.Attribute{
			"account_id": schema.StringAttribute{MarkdownDescription: "The 12-digit account ID.", Computed: true},
			"arn":        schema.StringAttribute{MarkdownDescription: "The ARN of the calling identity.", Computed: true},
			"region":     schema.StringAttribute{MarkdownDescription: "The provider's region.", Computed: true},
		},
	}
}

func (d *CallerDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *CallerDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	out, err := d.clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "caller identity", "", err)
		return
	}
	data := CallerDataSourceModel{
		AccountID: types.StringValue(aws.ToString(out.Account)),
		ARN:       types.StringValue(aws.ToString(out.Arn)),
		Region:    types.StringValue(d.clients.Region),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}
