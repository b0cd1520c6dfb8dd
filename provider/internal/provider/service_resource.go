package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
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
	_ resource.Resource                = &ServiceResource{}
	_ resource.ResourceWithConfigure   = &ServiceResource{}
	_ resource.ResourceWithImportState = &ServiceResource{}
	_ resource.ResourceWithModifyPlan  = &ServiceResource{}
)

// serviceTimeouts are portico_service's default timeouts: Cloud Map applies a
// description change as an operation that may take a while.
var serviceTimeouts = opTimeouts{Create: 5 * time.Minute, Update: 5 * time.Minute, Delete: 5 * time.Minute}

// ServiceResource manages a Cloud Map service in an HTTP namespace.
type ServiceResource struct {
	clients *Clients
}

// ServiceResourceModel is the state of a portico_service.
type ServiceResourceModel struct {
	ID          types.String   `tfsdk:"id"`
	Name        types.String   `tfsdk:"name"`
	NamespaceID types.String   `tfsdk:"namespace_id"`
	Description types.String   `tfsdk:"description"`
	Policy      jsonValue      `tfsdk:"policy"`
	TableName   types.String   `tfsdk:"table_name"`
	Tags        types.Map      `tfsdk:"tags"`
	TagsAll     types.Map      `tfsdk:"tags_all"`
	ARN         types.String   `tfsdk:"arn"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
}

// serviceRequestID is the CreatorRequestId of the creation of service name
// in namespace: derived from both, so that a create retried after a timeout
// is recognised (see namespaceRequestID).
func serviceRequestID(namespaceID, name string) string {
	sum := sha256.Sum256([]byte("portico_service\x00" + namespaceID + "\x00" + name))
	return "portico-" + hex.EncodeToString(sum[:])[:40]
}

// NewServiceResource returns a portico_service resource.
func NewServiceResource() resource.Resource {
	return &ServiceResource{}
}

func (r *ServiceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service"
}

func (r *ServiceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Cloud Map service (no DNS records) whose instances are one Portico backend's replicas, with its " +
			"traffic policy. For a service that something else creates (ECS service discovery, or `aws_service_discovery_service` " +
			"of the hashicorp/aws provider), leave the service to it and write the policy with `portico_service_policy`.",
		Blocks: map[string]schema.Block{"timeouts": serviceTimeouts.block(ctx)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Service id (`srv-...`).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Service name. Changing it replaces the service.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{serviceNameValidator},
			},
			"namespace_id": schema.StringAttribute{
				MarkdownDescription: "Id of the namespace the service belongs to. Changing it replaces the service.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{namespaceIDValidator},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the service. Changes in place.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtMost(1024)},
			},
			"policy": schema.StringAttribute{
				MarkdownDescription: "Traffic policy of the service for Portico's mesh client, as JSON (use `jsonencode`): " +
					"load balancer, version weights (canary), header routes, fault injection, retries, outlier detection and pool limits; " +
					"see `pkg/mesh.Policy`. Validated at plan time. Stored in the service's Cloud Map attributes (`portico.policy`), " +
					"where clients pick it up within their refresh interval. Changes in place; removing it removes the attributes. " +
					"Compared as a policy: key order, white space and duration spelling (`\"1m\"`, `\"60s\"`) are not changes.",
				CustomType: jsonTypeOf(jsonMeshPolicy),
				Optional:   true,
				Validators: []validator.String{policyValidator{}},
			},
			"table_name": gatewayTableAttribute(),
			"tags":       tagsAttribute(),
			"tags_all":   tagsAllAttribute(),
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the service.",
				Computed:            true,
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *ServiceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan plans tags_all.
func (r *ServiceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	modifyPlanTags(ctx, req, resp, defaultTagsOf(r.clients))
}

func (r *ServiceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data ServiceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opCreate, serviceTimeouts, &resp.Diagnostics)
	defer cancel()
	name := data.Name.ValueString()
	namespaceID := data.NamespaceID.ValueString()
	tflog.Info(ctx, "creating Cloud Map service", map[string]any{"name": name, "namespace_id": namespaceID})
	reqID := serviceRequestID(namespaceID, name)
	out, err := r.clients.ServiceDiscovery.CreateService(ctx, &servicediscovery.CreateServiceInput{
		Name:             aws.String(name),
		NamespaceId:      aws.String(namespaceID),
		Description:      data.Description.ValueStringPointer(),
		CreatorRequestId: aws.String(reqID),
	})
	var exists *sdtypes.ServiceAlreadyExists
	if errors.As(err, &exists) {
		if aws.ToString(exists.CreatorRequestId) != reqID || aws.ToString(exists.ServiceId) == "" {
			err = fmt.Errorf("a Cloud Map service named %q already exists in namespace %s (%s) and was not created by this resource; "+
				"to manage its traffic policy here use portico_service_policy, or import it: `terraform import <address> %s`",
				name, namespaceID, aws.ToString(exists.ServiceId), aws.ToString(exists.ServiceId))
		} else {
			// An earlier create of this resource made it: adopt it.
			tflog.Info(ctx, "adopting the service an earlier create of this resource left", map[string]any{"id": aws.ToString(exists.ServiceId)})
			var got *servicediscovery.GetServiceOutput
			if got, err = r.clients.ServiceDiscovery.GetService(ctx, &servicediscovery.GetServiceInput{Id: exists.ServiceId}); err == nil {
				out = &servicediscovery.CreateServiceOutput{Service: got.Service}
			}
		}
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "Cloud Map service", name, err)
		return
	}
	setService(&data, out.Service)
	all, err := applyTags(ctx, sdTags{r.clients.ServiceDiscovery}, data.ARN.ValueString(), defaultTagsOf(r.clients), data.Tags, types.MapNull(types.StringType))
	if err != nil {
		data.TagsAll = types.MapNull(types.StringType)
		data.Policy = jsonNull(jsonMeshPolicy)
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		addAWSError(&resp.Diagnostics, "tag", "Cloud Map service", name, err)
		return
	}
	data.TagsAll = all
	if !data.Policy.IsNull() {
		if err := writeServicePolicy(ctx, r.clients.ServiceDiscovery, data.ID.ValueString(), data.Policy); err != nil {
			// The service exists: keep it in state (without the policy) so
			// the next apply writes the policy instead of creating it again.
			data.Policy = jsonNull(jsonMeshPolicy)
			resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
			addAWSError(&resp.Diagnostics, "write the traffic policy of", "Cloud Map service", name, err)
			return
		}
		if table := data.TableName.ValueString(); table != "" {
			if err := r.clients.publishPolicy(ctx, table, name, data.Policy); err != nil {
				data.Policy = jsonNull(jsonMeshPolicy) // the next apply writes both again
				resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
				addAWSError(&resp.Diagnostics, "publish the traffic policy of", "Cloud Map service", name, err)
				return
			}
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// setService copies s into data.
func setService(data *ServiceResourceModel, s *sdtypes.Service) {
	data.ID = types.StringValue(aws.ToString(s.Id))
	data.Name = types.StringValue(aws.ToString(s.Name))
	data.NamespaceID = types.StringValue(aws.ToString(s.NamespaceId))
	data.ARN = types.StringValue(aws.ToString(s.Arn))
	data.Description = types.StringPointerValue(stringOrNil(aws.ToString(s.Description)))
}

// read refreshes data from GetService and GetServiceAttributes; isNotFound
// recognises a missing service.
func (r *ServiceResource) read(ctx context.Context, data *ServiceResourceModel, diags *diag.Diagnostics) error {
	out, err := r.clients.ServiceDiscovery.GetService(ctx, &servicediscovery.GetServiceInput{Id: aws.String(data.ID.ValueString())})
	if err != nil {
		return err
	}
	setService(data, out.Service)
	if err := readTags(ctx, sdTags{r.clients.ServiceDiscovery}, data.ARN.ValueString(), defaultTagsOf(r.clients), &data.Tags, &data.TagsAll); err != nil {
		return err
	}
	policy, problem, err := readServicePolicy(ctx, r.clients.ServiceDiscovery, data.ID.ValueString())
	if err != nil {
		return err
	}
	if problem != "" {
		diags.AddWarning("Unreadable traffic policy", fmt.Sprintf("The traffic policy of Cloud Map service %s cannot be read (%s); "+
			"it will be written again if the configuration sets one.", data.ID.ValueString(), problem))
	}
	data.Policy = policy
	return r.clients.reconcilePublished(ctx, data.TableName, data.Name.ValueString(), &data.Policy)
}

func (r *ServiceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data ServiceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.read(ctx, &data, &resp.Diagnostics)
	if isNotFound(err) {
		tflog.Warn(ctx, "Cloud Map service is gone, removing it from state", map[string]any{"id": data.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map service", data.ID.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *ServiceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state ServiceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opUpdate, serviceTimeouts, &resp.Diagnostics)
	defer cancel()
	name := plan.Name.ValueString()
	if !plan.Description.Equal(state.Description) {
		tflog.Info(ctx, "updating Cloud Map service description", map[string]any{"id": state.ID.ValueString()})
		out, err := r.clients.ServiceDiscovery.UpdateService(ctx, &servicediscovery.UpdateServiceInput{
			Id:      aws.String(state.ID.ValueString()),
			Service: &sdtypes.ServiceChange{Description: aws.String(plan.Description.ValueString())},
		})
		if err == nil {
			_, err = waitOperation(ctx, r.clients.ServiceDiscovery, aws.ToString(out.OperationId))
		}
		if err != nil {
			addAWSError(&resp.Diagnostics, "update", "Cloud Map service", name, err)
			return
		}
	}
	if !plan.Policy.Equal(state.Policy) {
		tflog.Info(ctx, "updating Cloud Map service traffic policy", map[string]any{"id": state.ID.ValueString()})
		if err := writeServicePolicy(ctx, r.clients.ServiceDiscovery, state.ID.ValueString(), plan.Policy); err != nil {
			addAWSError(&resp.Diagnostics, "write the traffic policy of", "Cloud Map service", name, err)
			return
		}
	}
	if old := state.TableName.ValueString(); old != "" && old != plan.TableName.ValueString() {
		if err := r.clients.publishPolicy(ctx, old, name, jsonNull(jsonMeshPolicy)); err != nil {
			addAWSError(&resp.Diagnostics, "remove the published traffic policy of", "Cloud Map service", name, err)
			return
		}
	}
	if table := plan.TableName.ValueString(); table != "" && (!plan.Policy.Equal(state.Policy) || table != state.TableName.ValueString()) {
		if err := r.clients.publishPolicy(ctx, table, name, plan.Policy); err != nil {
			addAWSError(&resp.Diagnostics, "publish the traffic policy of", "Cloud Map service", name, err)
			return
		}
	}
	plan.ID = state.ID
	if !plan.TagsAll.Equal(state.TagsAll) {
		if _, err := applyTags(ctx, sdTags{r.clients.ServiceDiscovery}, state.ARN.ValueString(), defaultTagsOf(r.clients), plan.Tags, state.TagsAll); err != nil {
			addAWSError(&resp.Diagnostics, "tag", "Cloud Map service", name, err)
			return
		}
	}
	if err := r.read(ctx, &plan, &resp.Diagnostics); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map service", name, err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *ServiceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data ServiceResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opDelete, serviceTimeouts, &resp.Diagnostics)
	defer cancel()
	id := data.ID.ValueString()
	if table := data.TableName.ValueString(); table != "" {
		if err := r.clients.publishPolicy(ctx, table, data.Name.ValueString(), jsonNull(jsonMeshPolicy)); err != nil {
			addAWSError(&resp.Diagnostics, "remove the published traffic policy of", "Cloud Map service", data.Name.ValueString(), err)
			return
		}
	}
	tflog.Info(ctx, "deleting Cloud Map service", map[string]any{"id": id})
	_, err := r.clients.ServiceDiscovery.DeleteService(ctx, &servicediscovery.DeleteServiceInput{Id: aws.String(id)})
	if err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "delete", "Cloud Map service", data.Name.ValueString()+" ("+id+")", err)
	}
}

func (r *ServiceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
