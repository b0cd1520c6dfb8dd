package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
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
	_ resource.ResourceWithModifyPlan  = &ServiceNamespaceResource{}
)

// namespaceAPI is the part of the Cloud Map client that
// portico_service_namespace uses; *servicediscovery.Client implements it, and
// the unit tests use a fake.
type namespaceAPI interface {
	operationAPI
	CreateHttpNamespace(ctx context.Context, in *servicediscovery.CreateHttpNamespaceInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.CreateHttpNamespaceOutput, error)
	GetNamespace(ctx context.Context, in *servicediscovery.GetNamespaceInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.GetNamespaceOutput, error)
	ListNamespaces(ctx context.Context, in *servicediscovery.ListNamespacesInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.ListNamespacesOutput, error)
	UpdateHttpNamespace(ctx context.Context, in *servicediscovery.UpdateHttpNamespaceInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.UpdateHttpNamespaceOutput, error)
	DeleteNamespace(ctx context.Context, in *servicediscovery.DeleteNamespaceInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.DeleteNamespaceOutput, error)
}

var _ namespaceAPI = (*servicediscovery.Client)(nil)

// namespaceTimeouts are portico_service_namespace's default timeouts: Cloud
// Map creates a namespace in seconds to minutes, and a delete waits for the
// namespace's services to go.
var namespaceTimeouts = opTimeouts{Create: 10 * time.Minute, Update: 5 * time.Minute, Delete: 10 * time.Minute}

// ServiceNamespaceResource manages a Cloud Map HTTP namespace.
type ServiceNamespaceResource struct {
	sd namespaceAPI
	// tags tags the namespace (nil in the unit tests: no tagging);
	// defaults are the provider's default tags.
	tags     tagger
	defaults map[string]string
}

// ServiceNamespaceResourceModel is the state of a portico_service_namespace.
type ServiceNamespaceResourceModel struct {
	ID          types.String   `tfsdk:"id"`
	Name        types.String   `tfsdk:"name"`
	Description types.String   `tfsdk:"description"`
	Tags        types.Map      `tfsdk:"tags"`
	TagsAll     types.Map      `tfsdk:"tags_all"`
	ARN         types.String   `tfsdk:"arn"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
}

// NewServiceNamespaceResource returns a portico_service_namespace resource.
func NewServiceNamespaceResource() resource.Resource {
	return &ServiceNamespaceResource{}
}

func (r *ServiceNamespaceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_namespace"
}

func (r *ServiceNamespaceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Cloud Map HTTP namespace, where Portico's backends register and the gateway discovers them. " +
			"The create request's id is derived from the name, so a create that timed out is adopted by the next apply " +
			"instead of colliding with it. A team that manages Cloud Map with the hashicorp/aws provider may prefer " +
			"`aws_service_discovery_http_namespace`: the aggregator only needs the namespace's name.",
		Blocks: map[string]schema.Block{"timeouts": namespaceTimeouts.block(ctx)},
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
				Validators:          []validator.String{namespaceNameValidator},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the namespace. Changes in place.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtMost(1024)},
			},
			"tags":     tagsAttribute(),
			"tags_all": tagsAllAttribute(),
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the namespace.",
				Computed:            true,
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *ServiceNamespaceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if c := clientsFrom(req.ProviderData, &resp.Diagnostics); c != nil {
		r.sd = c.ServiceDiscovery
		r.tags, r.defaults = sdTags{c.ServiceDiscovery}, c.DefaultTags
	}
}

// ModifyPlan plans tags_all.
func (r *ServiceNamespaceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	modifyPlanTags(ctx, req, resp, r.defaults)
}

// syncTags makes the namespace's tags the planned ones (have: the state's
// tags_all, null on create).
func (r *ServiceNamespaceResource) syncTags(ctx context.Context, data *ServiceNamespaceResourceModel, have types.Map) error {
	if r.tags == nil {
		data.Tags, data.TagsAll = typedMap(data.Tags), typedMap(data.TagsAll)
		if data.TagsAll.IsUnknown() {
			data.TagsAll = types.MapNull(types.StringType)
		}
		return nil
	}
	all, err := applyTags(ctx, r.tags, data.ARN.ValueString(), r.defaults, data.Tags, have)
	if err != nil {
		return err
	}
	data.TagsAll = all
	return nil
}

// namespaceRequestID is the CreatorRequestId of the namespace name's
// creation: derived from the name, so that a create retried after a timeout
// is the same request to Cloud Map (which then runs it once) and the
// namespace it left can be recognised as this resource's. generation > 0
// makes a fresh request id for a name whose earlier namespace is gone.
func namespaceRequestID(name string, generation int) string {
	sum := sha256.Sum256([]byte("portico_service_namespace\x00" + name))
	id := "portico-" + hex.EncodeToString(sum[:])[:40]
	if generation > 0 {
		id += "-" + strconv.Itoa(generation)
	}
	return id
}

// maxRequestGenerations bounds the fresh request ids tried for one name.
const maxRequestGenerations = 5

// createNamespace creates the namespace name, or adopts the one an earlier
// create of this resource left (its CreatorRequestId is this name's), and
// returns its id. A namespace of that name created otherwise is an error
// that says how to import it.
func (r *ServiceNamespaceResource) createNamespace(ctx context.Context, name string, description *string) (string, error) {
	for gen := 0; gen < maxRequestGenerations; gen++ {
		reqID := namespaceRequestID(name, gen)
		out, err := r.sd.CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{
			Name: aws.String(name), Description: description, CreatorRequestId: aws.String(reqID),
		})
		var (
			opID   string
			dup    *sdtypes.DuplicateRequest
			exists *sdtypes.NamespaceAlreadyExists
		)
		switch {
		case err == nil:
			opID = aws.ToString(out.OperationId)
		case errors.As(err, &dup) && aws.ToString(dup.DuplicateOperationId) != "":
			// The same request is running or ran already: follow it.
			opID = aws.ToString(dup.DuplicateOperationId)
			tflog.Info(ctx, "following the earlier create of the namespace", map[string]any{"name": name, "operation_id": opID})
		case errors.As(err, &exists):
			return r.adoptNamespace(ctx, name, aws.ToString(exists.NamespaceId), aws.ToString(exists.CreatorRequestId))
		default:
			return "", err
		}
		targets, err := waitOperation(ctx, r.sd, opID)
		if err != nil {
			return "", err
		}
		id := targets[string(sdtypes.OperationTargetTypeNamespace)]
		if id == "" {
			return "", fmt.Errorf("the operation %s that created namespace %q names no namespace id", opID, name)
		}
		if dup == nil {
			return id, nil
		}
		// An earlier request's namespace may have been deleted since: then
		// this name needs a fresh request.
		if _, err := r.sd.GetNamespace(ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(id)}); err == nil {
			return id, nil
		} else if !isNotFound(err) {
			return "", err
		}
		tflog.Info(ctx, "the earlier request's namespace is gone, making a fresh request", map[string]any{"name": name, "namespace_id": id})
	}
	return "", fmt.Errorf("Cloud Map refused %d requests to create namespace %q as duplicates of earlier ones", maxRequestGenerations, name)
}

// adoptNamespace takes over the namespace name that already exists, when an
// earlier create of this resource made it; id and creator are what Cloud
// Map's NamespaceAlreadyExists error says, if it says.
func (r *ServiceNamespaceResource) adoptNamespace(ctx context.Context, name, id, creator string) (string, error) {
	if id == "" {
		found, err := r.findNamespace(ctx, name)
		if err != nil {
			return "", err
		}
		id = found
	}
	if creator == "" && id != "" {
		out, err := r.sd.GetNamespace(ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(id)})
		if err != nil {
			return "", fmt.Errorf("namespace %q exists (%s) but cannot be read: %w", name, id, err)
		}
		creator = aws.ToString(out.Namespace.CreatorRequestId)
	}
	if id != "" && strings.HasPrefix(creator, namespaceRequestID(name, 0)) {
		tflog.Info(ctx, "adopting the namespace an earlier create of this resource left", map[string]any{"name": name, "namespace_id": id})
		return id, nil
	}
	importID := id
	if importID == "" {
		importID = "<namespace id>"
	}
	return "", fmt.Errorf("a Cloud Map namespace named %q already exists (%s) and was not created by this resource; "+
		"to manage it here, import it: `terraform import <address> %s`, or an import block with id = %q", name, importID, importID, importID)
}

// findNamespace is the id of the namespace called name, or "".
func (r *ServiceNamespaceResource) findNamespace(ctx context.Context, name string) (string, error) {
	p := servicediscovery.NewListNamespacesPaginator(r.sd, &servicediscovery.ListNamespacesInput{
		Filters: []sdtypes.NamespaceFilter{{Name: sdtypes.NamespaceFilterNameName, Values: []string{name}, Condition: sdtypes.FilterConditionEq}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list namespaces: %w", err)
		}
		for _, ns := range page.Namespaces {
			if aws.ToString(ns.Name) == name {
				return aws.ToString(ns.Id), nil
			}
		}
	}
	return "", nil
}

func (r *ServiceNamespaceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data ServiceNamespaceResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opCreate, namespaceTimeouts, &resp.Diagnostics)
	defer cancel()
	name := data.Name.ValueString()
	tflog.Info(ctx, "creating Cloud Map HTTP namespace", map[string]any{"name": name})
	id, err := r.createNamespace(ctx, name, data.Description.ValueStringPointer())
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "Cloud Map namespace", name, err)
		return
	}
	data.ID = types.StringValue(id)
	planned := data.Tags
	if err := r.read(ctx, &data); err != nil {
		addAWSError(&resp.Diagnostics, "read", "Cloud Map namespace", name, err)
		data.ARN, data.TagsAll = types.StringNull(), types.MapNull(types.StringType)
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	data.Tags = planned
	if err := r.syncTags(ctx, &data, types.MapNull(types.StringType)); err != nil {
		addAWSError(&resp.Diagnostics, "tag", "Cloud Map namespace", name, err)
		data.TagsAll = types.MapNull(types.StringType)
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// read refreshes data from GetNamespace; isNotFound recognises a missing namespace.
func (r *ServiceNamespaceResource) read(ctx context.Context, data *ServiceNamespaceResourceModel) error {
	out, err := r.sd.GetNamespace(ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(data.ID.ValueString())})
	if err != nil {
		return err
	}
	ns := out.Namespace
	data.Name = types.StringValue(aws.ToString(ns.Name))
	data.ARN = types.StringValue(aws.ToString(ns.Arn))
	data.Description = types.StringPointerValue(stringOrNil(aws.ToString(ns.Description)))
	if r.tags != nil {
		return readTags(ctx, r.tags, data.ARN.ValueString(), r.defaults, &data.Tags, &data.TagsAll)
	}
	data.Tags, data.TagsAll = typedMap(data.Tags), typedMap(data.TagsAll)
	if data.TagsAll.IsUnknown() {
		data.TagsAll = types.MapNull(types.StringType)
	}
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
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opUpdate, namespaceTimeouts, &resp.Diagnostics)
	defer cancel()
	name := plan.Name.ValueString()
	if !plan.Description.Equal(state.Description) {
		tflog.Info(ctx, "updating Cloud Map namespace description", map[string]any{"id": state.ID.ValueString()})
		out, err := r.sd.UpdateHttpNamespace(ctx, &servicediscovery.UpdateHttpNamespaceInput{
			Id:               aws.String(state.ID.ValueString()),
			Namespace:        &sdtypes.HttpNamespaceChange{Description: aws.String(plan.Description.ValueString())},
			UpdaterRequestId: aws.String(uuid.NewString()),
		})
		if err == nil {
			_, err = waitOperation(ctx, r.sd, aws.ToString(out.OperationId))
		}
		if err != nil {
			addAWSError(&resp.Diagnostics, "update", "Cloud Map namespace", name, err)
			return
		}
	}
	plan.ID, plan.ARN = state.ID, state.ARN
	if !plan.TagsAll.Equal(state.TagsAll) {
		if err := r.syncTags(ctx, &plan, state.TagsAll); err != nil {
			addAWSError(&resp.Diagnostics, "tag", "Cloud Map namespace", name, err)
			return
		}
	}
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
	ctx, cancel := withTimeout(ctx, data.Timeouts, opDelete, namespaceTimeouts, &resp.Diagnostics)
	defer cancel()
	id := data.ID.ValueString()
	tflog.Info(ctx, "deleting Cloud Map namespace", map[string]any{"id": id})
	// Services deleted just before (in the same destroy) may still count for
	// a moment: Cloud Map answers ResourceInUse until they are gone, so retry
	// that, within the delete timeout.
	var out *servicediscovery.DeleteNamespaceOutput
	err := retryCall(ctx, "the services of namespace "+id+" to be deleted", func(ctx context.Context) error {
		var err error
		out, err = r.sd.DeleteNamespace(ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(id)})
		return err
	}, func(err error) bool { return hasErrorCode(err, "ResourceInUse") })
	if isNotFound(err) {
		return
	}
	if err == nil {
		_, err = waitOperation(ctx, r.sd, aws.ToString(out.OperationId))
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "delete", "Cloud Map namespace", fmt.Sprintf("%s (%s)", data.Name.ValueString(), id), err)
	}
}

func (r *ServiceNamespaceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
