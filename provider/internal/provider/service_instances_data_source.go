package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ datasource.DataSource              = &ServiceInstancesDataSource{}
	_ datasource.DataSourceWithConfigure = &ServiceInstancesDataSource{}
)

// maxDiscoveredInstances is the most instances DiscoverInstances returns in
// one call (AWS's limit; it has no pagination).
const maxDiscoveredInstances = 1000

// ServiceInstancesDataSource lists the instances registered in a Cloud Map
// service, healthy or not, as the mesh client discovers them.
type ServiceInstancesDataSource struct {
	clients *Clients
}

// ServiceInstancesDataSourceModel is the data of a portico_service_instances
// data source.
type ServiceInstancesDataSourceModel struct {
	ID            types.String              `tfsdk:"id"`
	NamespaceName types.String              `tfsdk:"namespace_name"`
	ServiceName   types.String              `tfsdk:"service_name"`
	Instances     []discoveredInstanceModel `tfsdk:"instances"`
}

// discoveredInstanceModel is one element of instances.
type discoveredInstanceModel struct {
	ID         types.String `tfsdk:"id"`
	Address    types.String `tfsdk:"address"`
	Port       types.Int64  `tfsdk:"port"`
	Attributes types.Map    `tfsdk:"attributes"`
}

// NewServiceInstancesDataSource returns a portico_service_instances data source.
func NewServiceInstancesDataSource() datasource.DataSource {
	return &ServiceInstancesDataSource{}
}

func (d *ServiceInstancesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_instances"
}

func (d *ServiceInstancesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the instances registered in a Cloud Map service, healthy or not " +
			"(`DiscoverInstances` with health status `ALL`), sorted by instance id.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<namespace_name>/<service_name>`.",
				Computed:            true,
			},
			"namespace_name": schema.StringAttribute{
				MarkdownDescription: "Name of the Cloud Map namespace, for example `portico.local`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"service_name": schema.StringAttribute{
				MarkdownDescription: "Name of the service in the namespace, for example `user-service`.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"instances": schema.ListNestedAttribute{
				MarkdownDescription: "The instances, sorted by id; empty when none is registered.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id": schema.StringAttribute{
							MarkdownDescription: "Instance id.",
							Computed:            true,
						},
						"address": schema.StringAttribute{
							MarkdownDescription: "IPv4 address (`" + attrIPv4 + "`), null when the instance has none.",
							Computed:            true,
						},
						"port": schema.Int64Attribute{
							MarkdownDescription: "Port (`" + attrPort + "`), null when the instance has none.",
							Computed:            true,
						},
						"attributes": schema.MapAttribute{
							MarkdownDescription: "Custom attributes, without `" + attrIPv4 + "` and `" + attrPort + "`.",
							ElementType:         types.StringType,
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *ServiceInstancesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// discoveredInstances converts DiscoverInstances results, sorted by id.
func discoveredInstances(ctx context.Context, summaries []sdtypes.HttpInstanceSummary) ([]discoveredInstanceModel, error) {
	out := make([]discoveredInstanceModel, 0, len(summaries))
	for _, s := range summaries {
		id := aws.ToString(s.InstanceId)
		custom, address, port, err := splitInstanceAttributes(s.Attributes)
		if err != nil {
			return nil, fmt.Errorf("instance %s: %w", id, err)
		}
		attrs, diags := types.MapValueFrom(ctx, types.StringType, custom)
		if diags.HasError() {
			return nil, fmt.Errorf("instance %s: convert attributes: %v", id, diags)
		}
		m := discoveredInstanceModel{
			ID:         types.StringValue(id),
			Address:    types.StringPointerValue(stringOrNil(address)),
			Port:       types.Int64Null(),
			Attributes: attrs,
		}
		if _, ok := s.Attributes[attrPort]; ok {
			m.Port = types.Int64Value(port)
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b discoveredInstanceModel) int {
		return strings.Compare(a.ID.ValueString(), b.ID.ValueString())
	})
	return out, nil
}

func (d *ServiceInstancesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var data ServiceInstancesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ns, svc := data.NamespaceName.ValueString(), data.ServiceName.ValueString()
	id := ns + "/" + svc
	out, err := d.clients.ServiceDiscovery.DiscoverInstances(ctx, &servicediscovery.DiscoverInstancesInput{
		NamespaceName: aws.String(ns),
		ServiceName:   aws.String(svc),
		HealthStatus:  sdtypes.HealthStatusFilterAll,
		MaxResults:    aws.Int32(maxDiscoveredInstances),
	})
	if err != nil {
		addAWSError(&resp.Diagnostics, "discover the instances of", "Cloud Map service", id, err)
		return
	}
	if len(out.Instances) == maxDiscoveredInstances {
		resp.Diagnostics.AddWarning("Instance list may be truncated",
			fmt.Sprintf("Cloud Map returned %d instances for %s, the most one call returns; there may be more.", maxDiscoveredInstances, id))
	}
	instances, err := discoveredInstances(ctx, out.Instances)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read Cloud Map instances", fmt.Sprintf("Could not read the instances of %s: %s", id, err))
		return
	}
	tflog.Debug(ctx, "discovered Cloud Map instances", map[string]any{"service": id, "count": len(instances)})
	data.ID = types.StringValue(id)
	data.Instances = instances
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}
