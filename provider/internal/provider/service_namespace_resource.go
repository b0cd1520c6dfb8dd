package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
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
	_ resource.Resource                = &ServiceNamespaceResource{}
	_ resource.ResourceWithConfigure   = &ServiceNamespaceResource{}
	_ resource.ResourceWithImportState = &ServiceNamespaceResource{}
)

// ServiceNamespaceResource manages a Cloud Map HTTP namespace.
type ServiceNamespaceResource struct {
	clients *Clients
}

// ServiceNamespaceResourceModel is the state of a portico_service_namespace.
type ServiceNamespaceResourceModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	Description types.String `tfsdk:"description"`
	ARN         types.String `tfsdk:"arn"`
}

// NewServiceNamespaceResource returns a portico_service_namespace resource.
func NewServiceNamespaceResource() resource.Resource {
	return &ServiceNamespaceResource{}
}

func (r *ServiceNamespaceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_namespace"
}

func (r *ServiceNamespaceResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Cloud Map HTTP namespace, where Portico's backends register and the gateway discovers them.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Namespace id (`ns-...`).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Namespace name. Changing it replaces the namespace.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 1024)},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the namespace. Changes in place.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtMost(1024)},
			},
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the namespace.",
				Computed:            true,
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *ServiceNamespaceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *ServiceNamespaceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data ServiceNamespaceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := data.Name.ValueString()
	tflog.Info(ctx, "creating Cloud Map HTTP namespace", map[string]any{"name": name})
	out, err := r.clients.ServiceDiscovery.CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{
		Name:             aws.String(name),
		Description:      data.Description.ValueStringPointer(),
		CreatorRequestId: aws.String(uuid.NewString()),
	})
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "Cloud Map namespace", name, err)
		return
	}
	targets, err := waitOperation(ctx, r.clients.ServiceDiscovery, aws.ToString(out.OperationId))
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "Cloud Map namespace", name, err)
		return
	}
	id := targets[string(sdtypes.OperationTargetTypeNamespace)]
	if id == "" {
		resp.Diagnostics.AddError("Cannot create Cloud Map namespace",
			fmt.Sprintf("The operation that created namespace %q names no namespace id.", name))
		return
	}
	data.ID = types.StringValue(id)
	if err := r.read(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map namespace", name, err)
		data.ARN = types.StringNull()
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// read refreshes data from GetNamespace; isNotFound recognises a missing namespace.
func (r *ServiceNamespaceResource) read(ctx context.Context, data *ServiceNamespaceResourceModel) error {
	out, err := r.clients.ServiceDiscovery.GetNamespace(ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(data.ID.ValueString())})
	if err != nil {
		return err
	}
	ns := out.Namespace
	data.Name = types.StringValue(aws.ToString(ns.Name))
	data.ARN = types.StringValue(aws.ToString(ns.Arn))
	data.Description = types.StringPointerValue(stringOrNil(aws.ToString(ns.Description)))
	return nil
}

func (r *ServiceNamespaceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data ServiceNamespaceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.read(ctx, &data)
	if isNotFound(err) {
		tflog.Warn(ctx, "Cloud Map namespace is gone, removing it from state", map[string]any{"id": data.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map namespace", data.ID.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *ServiceNamespaceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state ServiceNamespaceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	if !plan.Description.Equal(state.Description) {
		tflog.Info(ctx, "updating Cloud Map namespace description", map[string]any{"id": state.ID.ValueString()})
		out, err := r.clients.ServiceDiscovery.UpdateHttpNamespace(ctx, &servicediscovery.UpdateHttpNamespaceInput{
			Id:               aws.String(state.ID.ValueString()),
			Namespace:        &sdtypes.HttpNamespaceChange{Description: aws.String(plan.Description.ValueString())},
			UpdaterRequestId: aws.String(uuid.NewString()),
		})
		if err == nil {
			_, err = waitOperation(ctx, r.clients.ServiceDiscovery, aws.ToString(out.OperationId))
		}
		if err != nil {
			addAWSError(&resp.Diagnostics, "update", "Cloud Map namespace", name, err)
			return
		}
	}
	plan.ID = state.ID
	if err := r.read(ctx, &plan); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map namespace", name, err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *ServiceNamespaceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data ServiceNamespaceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := data.ID.ValueString()
	tflog.Info(ctx, "deleting Cloud Map namespace", map[string]any{"id": id})
	// Services deleted just before (in the same destroy) may still count for
	// a moment: Cloud Map answers ResourceInUse until they are gone, so retry
	// that, within a bound.
	var out *servicediscovery.DeleteNamespaceOutput
	err := poll(ctx, 2*time.Minute, "the namespace's services to be deleted", func(ctx context.Context) (bool, error) {
		var err error
		out, err = r.clients.ServiceDiscovery.DeleteNamespace(ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(id)})
		if hasErrorCode(err, "ResourceInUse") {
			return false, nil
		}
		return true, err
	})
	if isNotFound(err) {
		return
	}
	if err == nil {
		_, err = waitOperation(ctx, r.clients.ServiceDiscovery, aws.ToString(out.OperationId))
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "delete", "Cloud Map namespace", fmt.Sprintf("%s (%s)", data.Name.ValueString(), id), err)
	}
}

func (r *ServiceNamespaceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
