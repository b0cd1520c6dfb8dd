package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ resource.Resource                = &ServiceInstanceResource{}
	_ resource.ResourceWithConfigure   = &ServiceInstanceResource{}
	_ resource.ResourceWithImportState = &ServiceInstanceResource{}
)

// Cloud Map attributes that the provider sets from address and port.
const (
	attrIPv4 = "AWS_INSTANCE_IPV4"
	attrPort = "AWS_INSTANCE_PORT"
)

// instanceTimeouts are portico_service_instance's default timeouts: Cloud Map
// registers and deregisters instances as operations.
var instanceTimeouts = opTimeouts{Create: 5 * time.Minute, Update: 5 * time.Minute, Delete: 5 * time.Minute}

// ServiceInstanceResource manages one instance registered in a Cloud Map service.
type ServiceInstanceResource struct {
	clients *Clients
}

// ServiceInstanceResourceModel is the state of a portico_service_instance.
type ServiceInstanceResourceModel struct {
	ID         types.String   `tfsdk:"id"`
	ServiceID  types.String   `tfsdk:"service_id"`
	InstanceID types.String   `tfsdk:"instance_id"`
	Address    types.String   `tfsdk:"address"`
	Port       types.Int64    `tfsdk:"port"`
	Attributes types.Map      `tfsdk:"attributes"`
	Timeouts   timeouts.Value `tfsdk:"timeouts"`
}

// NewServiceInstanceResource returns a portico_service_instance resource.
func NewServiceInstanceResource() resource.Resource {
	return &ServiceInstanceResource{}
}

func (r *ServiceInstanceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_instance"
}

func (r *ServiceInstanceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "An instance (one backend replica) registered in a Cloud Map service, with its IPv4 address, port and " +
			"custom attributes: for backends with fixed addresses and for the local stack. Instances of ECS services are registered " +
			"by ECS itself; a team that manages registrations with the hashicorp/aws provider may prefer `aws_service_discovery_instance`.",
		Blocks: map[string]schema.Block{"timeouts": instanceTimeouts.block(ctx)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<service_id>/<instance_id>`, the import id.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"service_id": schema.StringAttribute{
				MarkdownDescription: "Id of the service the instance belongs to. Changing it replaces the instance.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{serviceIDValidator},
			},
			"instance_id": schema.StringAttribute{
				MarkdownDescription: "Id of the instance within the service. Changing it replaces the instance.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{instanceIDValidator},
			},
			"address": schema.StringAttribute{
				MarkdownDescription: "IPv4 address of the instance (registered as `" + attrIPv4 + "`).",
				Required:            true,
				Validators:          []validator.String{ipv4Validator{}},
			},
			"port": schema.Int64Attribute{
				MarkdownDescription: "Port of the instance, 1 to 65535 (registered as `" + attrPort + "`).",
				Required:            true,
				Validators:          []validator.Int64{int64validator.Between(1, 65535)},
			},
			"attributes": schema.MapAttribute{
				MarkdownDescription: "Custom attributes of the instance, for example `version`. `" + attrIPv4 + "` and `" +
					attrPort + "` are reserved: set `address` and `port` instead.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Map{reservedKeysValidator{reserved: []string{attrIPv4, attrPort}}, instanceAttributesValidator{}},
			},
		},
	}
}

func (r *ServiceInstanceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// instanceImportID joins a service id and an instance id into an import id.
func instanceImportID(serviceID, instanceID string) string {
	return serviceID + "/" + instanceID
}

// parseInstanceImportID splits "<service_id>/<instance_id>".
func parseInstanceImportID(id string) (serviceID, instanceID string, err error) {
	serviceID, instanceID, ok := strings.Cut(id, "/")
	if !ok || serviceID == "" || instanceID == "" || strings.Contains(instanceID, "/") {
		return "", "", fmt.Errorf("import id %q: want <service_id>/<instance_id>, for example srv-abc123/backend-1", id)
	}
	return serviceID, instanceID, nil
}

// instanceAttributes merges the custom attributes with address and port into
// the attributes Cloud Map stores.
func instanceAttributes(custom map[string]string, address string, port int64) map[string]string {
	attrs := make(map[string]string, len(custom)+2)
	for k, v := range custom {
		attrs[k] = v
	}
	attrs[attrIPv4] = address
	attrs[attrPort] = strconv.FormatInt(port, 10)
	return attrs
}

// splitInstanceAttributes is the inverse of instanceAttributes.
func splitInstanceAttributes(attrs map[string]string) (custom map[string]string, address string, port int64, err error) {
	custom = make(map[string]string, len(attrs))
	for k, v := range attrs {
		switch k {
		case attrIPv4:
			address = v
		case attrPort:
			port, err = strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, "", 0, fmt.Errorf("attribute %s=%q is not a port number", attrPort, v)
			}
		default:
			custom[k] = v
		}
	}
	return custom, address, port, nil
}

func (r *ServiceInstanceResource) register(ctx context.Context, data *ServiceInstanceResourceModel) error {
	custom := map[string]string{}
	if !data.Attributes.IsNull() && !data.Attributes.IsUnknown() {
		if diags := data.Attributes.ElementsAs(ctx, &custom, false); diags.HasError() {
			return fmt.Errorf("read attributes: %v", diags)
		}
	}
	tflog.Info(ctx, "registering Cloud Map instance", map[string]any{
		"service_id": data.ServiceID.ValueString(), "instance_id": data.InstanceID.ValueString()})
	out, err := r.clients.ServiceDiscovery.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{
		ServiceId:        aws.String(data.ServiceID.ValueString()),
		InstanceId:       aws.String(data.InstanceID.ValueString()),
		Attributes:       instanceAttributes(custom, data.Address.ValueString(), data.Port.ValueInt64()),
		CreatorRequestId: aws.String(uuid.NewString()),
	})
	if err != nil {
		return err
	}
	_, err = waitOperation(ctx, r.clients.ServiceDiscovery, aws.ToString(out.OperationId))
	return err
}

// read refreshes data from GetInstance; isNotFound recognises a missing
// instance or service.
func (r *ServiceInstanceResource) read(ctx context.Context, data *ServiceInstanceResourceModel) error {
	out, err := r.clients.ServiceDiscovery.GetInstance(ctx, &servicediscovery.GetInstanceInput{
		ServiceId:  aws.String(data.ServiceID.ValueString()),
		InstanceId: aws.String(data.InstanceID.ValueString()),
	})
	if err != nil {
		return err
	}
	custom, address, port, err := splitInstanceAttributes(out.Instance.Attributes)
	if err != nil {
		return err
	}
	data.ID = types.StringValue(instanceImportID(data.ServiceID.ValueString(), data.InstanceID.ValueString()))
	data.Address = types.StringValue(address)
	data.Port = types.Int64Value(port)
	if len(custom) == 0 && data.Attributes.IsNull() {
		return nil
	}
	m, diags := types.MapValueFrom(ctx, types.StringType, custom)
	if diags.HasError() {
		return fmt.Errorf("convert attributes: %v", diags)
	}
	data.Attributes = m
	return nil
}

func (r *ServiceInstanceResource) name(data ServiceInstanceResourceModel) string {
	return instanceImportID(data.ServiceID.ValueString(), data.InstanceID.ValueString())
}

func (r *ServiceInstanceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data ServiceInstanceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opCreate, instanceTimeouts, &resp.Diagnostics)
	defer cancel()
	if err := r.register(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "register", "Cloud Map instance", r.name(data), err)
		return
	}
	if err := r.read(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map instance", r.name(data), err)
		data.ID = types.StringValue(r.name(data))
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *ServiceInstanceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data ServiceInstanceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.read(ctx, &data)
	if isNotFound(err) {
		tflog.Warn(ctx, "Cloud Map instance is gone, removing it from state", map[string]any{"id": r.name(data)})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map instance", r.name(data), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *ServiceInstanceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var data ServiceInstanceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opUpdate, instanceTimeouts, &resp.Diagnostics)
	defer cancel()
	// RegisterInstance with an existing instance id replaces its attributes.
	if err := r.register(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "update", "Cloud Map instance", r.name(data), err)
		return
	}
	if err := r.read(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map instance", r.name(data), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *ServiceInstanceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data ServiceInstanceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opDelete, instanceTimeouts, &resp.Diagnostics)
	defer cancel()
	tflog.Info(ctx, "deregistering Cloud Map instance", map[string]any{"id": r.name(data)})
	out, err := r.clients.ServiceDiscovery.DeregisterInstance(ctx, &servicediscovery.DeregisterInstanceInput{
		ServiceId:  aws.String(data.ServiceID.ValueString()),
		InstanceId: aws.String(data.InstanceID.ValueString()),
	})
	if isNotFound(err) {
		return
	}
	if err == nil {
		_, err = waitOperation(ctx, r.clients.ServiceDiscovery, aws.ToString(out.OperationId))
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "deregister", "Cloud Map instance", r.name(data), err)
	}
}

func (r *ServiceInstanceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	serviceID, instanceID, err := parseInstanceImportID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("service_id"), serviceID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("instance_id"), instanceID)...)
}
