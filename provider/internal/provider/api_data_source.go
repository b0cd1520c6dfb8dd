package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = &APIDataSource{}
	_ datasource.DataSourceWithConfigure = &APIDataSource{}
)

// APIDataSource looks up a REST API by id for its invoke URL and execution ARN,
// for configurations that do not manage the API themselves.
type APIDataSource struct {
	clients *Clients
}

// APIDataSourceModel is the data of a portico_api data source.
type APIDataSourceModel struct {
	ID           types.String `tfsdk:"id"`
	StageName    types.String `tfsdk:"stage_name"`
	Name         types.String `tfsdk:"name"`
	InvokeURL    types.String `tfsdk:"invoke_url"`
	ExecutionARN types.String `tfsdk:"execution_arn"`
}

// NewAPIDataSource returns a portico_api data source.
func NewAPIDataSource() datasource.DataSource {
	return &APIDataSource{}
}

func (d *APIDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api"
}

func (d *APIDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a REST API (API Gateway v1), for example one that `portico_api` manages in another " +
			"configuration, and returns the URL to call it at and its execution ARN.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "REST API id, for example `a1b2c3d4e5`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"stage_name": schema.StringAttribute{
				MarkdownDescription: "Stage whose URL `invoke_url` is. Defaults to the API's only stage, else `" + defaultStageName +
					"`, else the first stage by name.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the REST API.",
				Computed:            true,
			},
			"invoke_url": schema.StringAttribute{
				MarkdownDescription: "URL of the stage. With an emulator `endpoint` it is `<endpoint>/_aws/execute-api/<id>/<stage>`; " +
					"otherwise `https://<id>.execute-api.<region>.amazonaws.com/<stage>`.",
				Computed: true,
			},
			"execution_arn": schema.StringAttribute{
				MarkdownDescription: "Execution ARN of the API, `arn:aws:execute-api:<region>:<account>:<id>`, for Lambda permissions and IAM policies.",
				Computed:            true,
			},
		},
	}
}

func (d *APIDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// chooseStage returns the stage the data source reports among the API's
// stages: the requested one, which must exist, or pickStage's choice.
func chooseStage(apiID, requested string, stages []string) (string, error) {
	if requested != "" {
		if slices.Contains(stages, requested) {
			return requested, nil
		}
		if len(stages) == 0 {
			return "", fmt.Errorf("REST API %s has no stage %q; it has no stages at all (deploy it first)", apiID, requested)
		}
		sorted := slices.Sorted(slices.Values(stages))
		return "", fmt.Errorf("REST API %s has no stage %q; its stages are %s", apiID, requested, strings.Join(sorted, ", "))
	}
	stage := pickStage(stages)
	if stage == "" {
		return "", fmt.Errorf("REST API %s has no stage; deploy it first (portico_api deploys to %q)", apiID, defaultStageName)
	}
	return stage, nil
}

func (d *APIDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var data APIDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	apiID := data.ID.ValueString()
	gw := d.clients.APIGateway

	api, err := gw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)})
	if isNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "REST API not found",
			fmt.Sprintf("There is no REST API with id %q in region %s.", apiID, d.clients.Region))
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "REST API", apiID, err)
		return
	}
	stages, err := gw.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: aws.String(apiID)})
	if err != nil {
		addAWSError(&resp.Diagnostics, "list the stages of", "REST API", apiID, err)
		return
	}
	names := make([]string, 0, len(stages.Item))
	for _, s := range stages.Item {
		names = append(names, aws.ToString(s.StageName))
	}
	stage, err := chooseStage(apiID, data.StageName.ValueString(), names)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("stage_name"), "No such stage", err.Error())
		return
	}
	who, err := callerIdentity(ctx, d.clients.STS)
	if err != nil {
		addAWSError(&resp.Diagnostics, "find the AWS account of", "REST API", apiID, err)
		return
	}

	data.Name = types.StringValue(aws.ToString(api.Name))
	data.StageName = types.StringValue(stage)
	data.InvokeURL = types.StringValue(invokeURL(d.clients.Endpoint, d.clients.Region, apiID, stage))
	data.ExecutionARN = types.StringValue(who.executionARN(d.clients.Region, apiID))
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}
