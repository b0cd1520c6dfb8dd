package provider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

var (
	_ resource.Resource                = &ServicePolicyResource{}
	_ resource.ResourceWithConfigure   = &ServicePolicyResource{}
	_ resource.ResourceWithImportState = &ServicePolicyResource{}
)

// servicePolicyAPI is the part of the Cloud Map client that
// portico_service_policy uses.
type servicePolicyAPI interface {
	policyAPI
	GetService(ctx context.Context, in *servicediscovery.GetServiceInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.GetServiceOutput, error)
}

var _ servicePolicyAPI = (*servicediscovery.Client)(nil)

// ServicePolicyResource writes Portico's traffic policy to the attributes of
// any Cloud Map service: one that ECS registers its tasks in, or one managed
// with hashicorp/aws's aws_service_discovery_service. The service itself is
// left to whoever made it.
type ServicePolicyResource struct {
	sd      servicePolicyAPI
	clients *Clients // the gateway's copy (table_name)
}

// ServicePolicyResourceModel is the state of a portico_service_policy.
type ServicePolicyResourceModel struct {
	ID          types.String `tfsdk:"id"`
	ServiceID   types.String `tfsdk:"service_id"`
	Policy      jsonValue    `tfsdk:"policy"`
	TableName   types.String `tfsdk:"table_name"`
	ServiceName types.String `tfsdk:"service_name"`
}

// NewServicePolicyResource returns a portico_service_policy resource.
func NewServicePolicyResource() resource.Resource {
	return &ServicePolicyResource{}
}

func (r *ServicePolicyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_policy"
}

func (r *ServicePolicyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Portico's traffic policy for **any** Cloud Map service: one ECS service discovery registers tasks in, " +
			"or one managed with `aws_service_discovery_service` of the hashicorp/aws provider. The policy is validated at plan " +
			"time with the mesh's own rules and stored in the service's attributes (`" + cloudmap.AttrPolicy + "`, split over " +
			"`" + cloudmap.AttrPolicy + ".<n>` when long), where mesh clients read it; the service and its other attributes are " +
			"left alone, and destroying the resource removes only the policy. Creating it refuses a service that already has a " +
			"Portico policy (a `portico_service` with `policy`, or another configuration) and says how to import it. " +
			"The provider needs `servicediscovery:GetService`, `GetServiceAttributes`, `UpdateServiceAttributes` and " +
			"`DeleteServiceAttributes` on the service.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The service id, the import ID.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"service_id": schema.StringAttribute{
				MarkdownDescription: "Id of the Cloud Map service (`srv-...`), for example `aws_service_discovery_service.payment.id`. " +
					"Changing it moves the policy to the other service.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{serviceIDValidator},
			},
			"policy": schema.StringAttribute{
				MarkdownDescription: "Traffic policy for Portico's mesh client, as JSON (use `jsonencode`): load balancer, version " +
					"weights (canary), header routes, fault injection, retries, outlier detection and pool limits; see `pkg/mesh.Policy`. " +
					"Every faulty part is reported at plan time. Compared as a policy: key order, white space and duration spelling " +
					"are not changes.",
				CustomType: jsonTypeOf(jsonMeshPolicy),
				Required:   true,
				Validators: []validator.String{policyValidator{}},
			},
			"table_name": gatewayTableAttribute(),
			"service_name": schema.StringAttribute{
				MarkdownDescription: "Name of the Cloud Map service: the name the gateway's routes call it by, and the key of the " +
					"gateway's copy of the policy.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *ServicePolicyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if c := clientsFrom(req.ProviderData, &resp.Diagnostics); c != nil {
		r.sd, r.clients = c.ServiceDiscovery, c
	}
}

func (r *ServicePolicyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data ServicePolicyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := data.ServiceID.ValueString()
	name, err := r.serviceName(ctx, id)
	if err != nil {
		addAWSError(&resp.Diagnostics, "find", "Cloud Map service", id, err)
		return
	}
	current, problem, err := readServicePolicy(ctx, r.sd, id)
	if err != nil {
		addAWSError(&resp.Diagnostics, "read the traffic policy of", "Cloud Map service", id, err)
		return
	}
	if !current.IsNull() || problem != "" {
		resp.Diagnostics.AddAttributeError(path.Root("service_id"), "Service already has a traffic policy",
			fmt.Sprintf("Cloud Map service %s already has a Portico traffic policy, written by another configuration "+
				"(a portico_service with policy, say) or by hand, and Portico does not overwrite it. To manage it here, "+
				"import it: `terraform import <address> %s`, or an import block with id = %q; or remove the other policy first.", id, id, id))
		return
	}
	tflog.Info(ctx, "writing traffic policy", map[string]any{"service_id": id})
	if err := writeServicePolicy(ctx, r.sd, id, data.Policy); err != nil {
		addAWSError(&resp.Diagnostics, "write the traffic policy of", "Cloud Map service", id, err)
		return
	}
	data.ID, data.ServiceName = data.ServiceID, types.StringValue(name)
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
	if table := data.TableName.ValueString(); table != "" {
		if err := r.clients.publishPolicy(ctx, table, name, data.Policy); err != nil {
			addAWSError(&resp.Diagnostics, "publish the traffic policy of", "Cloud Map service", id, err)
		}
	}
}

// serviceName is the name of Cloud Map service id: the gateway keys its copy
// of a policy by the name its routes use.
func (r *ServicePolicyResource) serviceName(ctx context.Context, id string) (string, error) {
	out, err := r.sd.GetService(ctx, &servicediscovery.GetServiceInput{Id: aws.String(id)})
	if err != nil {
		return "", err
	}
	if out.Service == nil || aws.ToString(out.Service.Name) == "" {
		return "", fmt.Errorf("GetService %s: the answer names no service", id)
	}
	return aws.ToString(out.Service.Name), nil
}

func (r *ServicePolicyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data ServicePolicyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := data.ServiceID.ValueString()
	policy, problem, err := readServicePolicy(ctx, r.sd, id)
	if isNotFound(err) {
		tflog.Warn(ctx, "Cloud Map service is gone, removing its policy from state", map[string]any{"service_id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read the traffic policy of", "Cloud Map service", id, err)
		return
	}
	switch {
	case problem != "":
		// Unreadable: plan writes the configured policy again.
		resp.Diagnostics.AddWarning("Unreadable traffic policy",
			fmt.Sprintf("The traffic policy of Cloud Map service %s cannot be read (%s); the next apply writes it again.", id, problem))
		data.Policy = jsonString(jsonMeshPolicy, "")
	case policy.IsNull():
		tflog.Warn(ctx, "traffic policy is gone, removing it from state", map[string]any{"service_id": id})
		resp.State.RemoveResource(ctx)
		return
	default:
		data.Policy = policy
	}
	if data.ServiceName.IsNull() || data.ServiceName.IsUnknown() { // imported
		name, err := r.serviceName(ctx, id)
		if err != nil {
			addAWSError(&resp.Diagnostics, "find", "Cloud Map service", id, err)
			return
		}
		data.ServiceName = types.StringValue(name)
	}
	if err := r.clients.reconcilePublished(ctx, data.TableName, data.ServiceName.ValueString(), &data.Policy); err != nil {
		addAWSError(&resp.Diagnostics, "read the gateway's copy of the traffic policy of", "Cloud Map service", id, err)
		return
	}
	data.ID = data.ServiceID
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *ServicePolicyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var data, state ServicePolicyResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := data.ServiceID.ValueString()
	tflog.Info(ctx, "updating traffic policy", map[string]any{"service_id": id})
	if err := writeServicePolicy(ctx, r.sd, id, data.Policy); err != nil {
		addAWSError(&resp.Diagnostics, "write the traffic policy of", "Cloud Map service", id, err)
		return
	}
	name := state.ServiceName.ValueString()
	if name == "" {
		var err error
		if name, err = r.serviceName(ctx, id); err != nil {
			addAWSError(&resp.Diagnostics, "find", "Cloud Map service", id, err)
			return
		}
	}
	data.ServiceName = types.StringValue(name)
	oldTable, table := state.TableName.ValueString(), data.TableName.ValueString()
	var err error
	if oldTable != "" && oldTable != table {
		err = r.clients.publishPolicy(ctx, oldTable, name, jsonNull(jsonMeshPolicy))
	}
	if err == nil && table != "" {
		err = r.clients.publishPolicy(ctx, table, name, data.Policy)
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "publish the traffic policy of", "Cloud Map service", id, err)
		return
	}
	data.ID = data.ServiceID
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// Delete removes the policy's attributes; the service stays.
func (r *ServicePolicyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data ServicePolicyResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := data.ServiceID.ValueString()
	if table := data.TableName.ValueString(); table != "" && data.ServiceName.ValueString() != "" {
		// By the name kept in state: the service may be gone already.
		err := r.clients.publishPolicy(ctx, table, data.ServiceName.ValueString(), jsonNull(jsonMeshPolicy))
		if err != nil {
			addAWSError(&resp.Diagnostics, "remove the gateway's copy of the traffic policy of", "Cloud Map service", id, err)
			return
		}
	}
	err := writeServicePolicy(ctx, r.sd, id, jsonNull(jsonMeshPolicy))
	if err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "remove the traffic policy of", "Cloud Map service", id, err)
	}
}

// ImportState takes the service id.
func (r *ServicePolicyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("service_id"), req.ID)...)
}
