package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
	_ resource.Resource                = &TableResource{}
	_ resource.ResourceWithConfigure   = &TableResource{}
	_ resource.ResourceWithImportState = &TableResource{}
	_ resource.ResourceWithModifyPlan  = &TableResource{}
)

// TableResource manages a DynamoDB table billed per request.
type TableResource struct {
	clients *Clients
}

// TableResourceModel is the state of a portico_table.
type TableResourceModel struct {
	ID           types.String   `tfsdk:"id"`
	Name         types.String   `tfsdk:"name"`
	HashKey      types.String   `tfsdk:"hash_key"`
	RangeKey     types.String   `tfsdk:"range_key"`
	TTLAttribute types.String   `tfsdk:"ttl_attribute"`
	Tags         types.Map      `tfsdk:"tags"`
	TagsAll      types.Map      `tfsdk:"tags_all"`
	ARN          types.String   `tfsdk:"arn"`
	Timeouts     timeouts.Value `tfsdk:"timeouts"`
}

// tableTimeouts are portico_table's default timeouts: a table is usually
// ACTIVE within seconds; a TTL change may take longer.
var tableTimeouts = opTimeouts{Create: 10 * time.Minute, Update: 10 * time.Minute, Delete: 10 * time.Minute}

// NewTableResource returns a portico_table resource.
func NewTableResource() resource.Resource {
	return &TableResource{}
}

func (r *TableResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_table"
}

func (r *TableResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A DynamoDB table billed per request (`PAY_PER_REQUEST`), with string keys: Portico's state table " +
			"(partition key `pk`, TTL attribute `ttl`) for a local stack or a turnkey deployment. A team that manages its tables " +
			"with the hashicorp/aws provider may prefer `aws_dynamodb_table` (encryption with its own KMS key, point-in-time " +
			"recovery, replicas, tags); Portico's resources take a table name and work with either.",
		Blocks: map[string]schema.Block{"timeouts": tableTimeouts.block(ctx)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The table name.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Table name. Changing it replaces the table.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{tableNameValidator},
			},
			"hash_key": schema.StringAttribute{
				MarkdownDescription: "Name of the partition key attribute (type `S`). Changing it replaces the table.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"range_key": schema.StringAttribute{
				MarkdownDescription: "Name of the sort key attribute (type `S`), if any. Changing it replaces the table.",
				Optional:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"ttl_attribute": schema.StringAttribute{
				MarkdownDescription: "Name of the attribute that holds each item's expiry time (epoch seconds). " +
					"Unset means TTL is disabled. Setting or removing it changes the table in place. Changing it from one " +
					"attribute to another is refused at plan time: DynamoDB would have to disable TTL and enable it again, and " +
					"it refuses a second TTL change within an hour of the first. Do it in two applies an hour apart: remove " +
					"`ttl_attribute`, apply, then set the new one and apply.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"tags":     tagsAttribute(),
			"tags_all": tagsAllAttribute(),
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the table.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *TableResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// tableKeys returns the attribute definitions and key schema for the given keys.
func tableKeys(hashKey, rangeKey string) ([]ddbtypes.AttributeDefinition, []ddbtypes.KeySchemaElement) {
	defs := []ddbtypes.AttributeDefinition{{AttributeName: aws.String(hashKey), AttributeType: ddbtypes.ScalarAttributeTypeS}}
	keys := []ddbtypes.KeySchemaElement{{AttributeName: aws.String(hashKey), KeyType: ddbtypes.KeyTypeHash}}
	if rangeKey != "" {
		defs = append(defs, ddbtypes.AttributeDefinition{AttributeName: aws.String(rangeKey), AttributeType: ddbtypes.ScalarAttributeTypeS})
		keys = append(keys, ddbtypes.KeySchemaElement{AttributeName: aws.String(rangeKey), KeyType: ddbtypes.KeyTypeRange})
	}
	return defs, keys
}

// ModifyPlan plans tags_all and refuses a TTL attribute changed to another
// one, which DynamoDB cannot do in one apply.
func (r *TableResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	modifyPlanTags(ctx, req, resp, defaultTagsOf(r.clients))
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var planTTL, stateTTL types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("ttl_attribute"), &planTTL)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("ttl_attribute"), &stateTTL)...)
	if err := ttlChange(stateTTL, planTTL); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("ttl_attribute"), "TTL attribute cannot change in one apply", err.Error())
	}
}

// ttlChange refuses a change of the TTL attribute from one name to another.
func ttlChange(state, plan types.String) error {
	if state.IsNull() || state.IsUnknown() || plan.IsNull() || plan.IsUnknown() || state.Equal(plan) {
		return nil
	}
	return fmt.Errorf("ttl_attribute would change from %q to %q. DynamoDB has one TTL attribute per table, so this means "+
		"disabling TTL and enabling it again, and DynamoDB refuses any TTL change within an hour of the previous one "+
		"(UpdateTimeToLive: ValidationException). Change it in two applies: remove ttl_attribute and apply (TTL is disabled), "+
		"then, an hour later, set ttl_attribute = %q and apply", state.ValueString(), plan.ValueString(), plan.ValueString())
}

func (r *TableResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data TableResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opCreate, tableTimeouts, &resp.Diagnostics)
	defer cancel()
	name := data.Name.ValueString()
	defs, keys := tableKeys(data.HashKey.ValueString(), data.RangeKey.ValueString())

	tflog.Info(ctx, "creating DynamoDB table", map[string]any{"name": name})
	_, err := r.clients.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: defs,
		KeySchema:            keys,
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "DynamoDB table", name, err)
		return
	}
	data.ID = types.StringValue(name)

	waiter := dynamodb.NewTableExistsWaiter(r.clients.DynamoDB)
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, remaining(ctx)); err != nil {
		addAWSError(&resp.Diagnostics, "wait for ACTIVE status of", "DynamoDB table", name, err)
		r.saveTainted(ctx, resp, data)
		return
	}

	if ttl := data.TTLAttribute.ValueString(); ttl != "" {
		if err := r.setTTL(ctx, name, ttl, true); err != nil {
			addAWSError(&resp.Diagnostics, "enable TTL on", "DynamoDB table", name, err)
			r.saveTainted(ctx, resp, data)
			return
		}
	}
	out, err := r.clients.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err == nil {
		data.ARN = types.StringValue(aws.ToString(out.Table.TableArn))
		var all types.Map
		if all, err = applyTags(ctx, dynamoTags{r.clients.DynamoDB}, data.ARN.ValueString(), defaultTagsOf(r.clients), data.Tags, types.MapNull(types.StringType)); err == nil {
			data.TagsAll = all
		}
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "tag", "DynamoDB table", name, err)
		r.saveTainted(ctx, resp, data)
		return
	}

	found, err := r.read(ctx, &data)
	if err != nil || !found {
		if err == nil {
			err = fmt.Errorf("table disappeared right after creation")
		}
		addAWSError(&resp.Diagnostics, "read", "DynamoDB table", name, err)
		r.saveTainted(ctx, resp, data)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// saveTainted records a table that exists but failed to settle, so that
// Terraform marks it tainted and replaces it instead of losing track of it.
func (r *TableResource) saveTainted(ctx context.Context, resp *resource.CreateResponse, data TableResourceModel) {
	if data.ARN.IsUnknown() {
		data.ARN = types.StringNull()
	}
	if data.TagsAll.IsUnknown() {
		data.TagsAll = types.MapNull(types.StringType)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *TableResource) setTTL(ctx context.Context, table, attribute string, enabled bool) error {
	_, err := r.clients.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{
			AttributeName: aws.String(attribute),
			Enabled:       aws.Bool(enabled),
		},
	})
	return err
}

// read refreshes data from AWS. It returns found=false when the table is gone.
func (r *TableResource) read(ctx context.Context, data *TableResourceModel) (found bool, err error) {
	name := data.Name.ValueString()
	out, err := r.clients.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	t := out.Table
	data.ID = types.StringValue(aws.ToString(t.TableName))
	data.Name = types.StringValue(aws.ToString(t.TableName))
	data.ARN = types.StringValue(aws.ToString(t.TableArn))
	if err := readTags(ctx, dynamoTags{r.clients.DynamoDB}, data.ARN.ValueString(), defaultTagsOf(r.clients), &data.Tags, &data.TagsAll); err != nil {
		return true, err
	}
	data.RangeKey = types.StringNull()
	for _, k := range t.KeySchema {
		switch k.KeyType {
		case ddbtypes.KeyTypeHash:
			data.HashKey = types.StringValue(aws.ToString(k.AttributeName))
		case ddbtypes.KeyTypeRange:
			data.RangeKey = types.StringValue(aws.ToString(k.AttributeName))
		}
	}

	ttl, err := r.clients.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return true, fmt.Errorf("describe time to live: %w", err)
	}
	data.TTLAttribute = types.StringNull()
	if d := ttl.TimeToLiveDescription; d != nil {
		switch d.TimeToLiveStatus {
		case ddbtypes.TimeToLiveStatusEnabled, ddbtypes.TimeToLiveStatusEnabling:
			data.TTLAttribute = types.StringValue(aws.ToString(d.AttributeName))
		}
	}
	return true, nil
}

func (r *TableResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data TableResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	found, err := r.read(ctx, &data)
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "DynamoDB table", data.Name.ValueString(), err)
		return
	}
	if !found {
		tflog.Warn(ctx, "DynamoDB table is gone, removing it from state", map[string]any{"name": data.Name.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *TableResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state TableResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opUpdate, tableTimeouts, &resp.Diagnostics)
	defer cancel()
	name := plan.Name.ValueString()
	oldTTL, newTTL := state.TTLAttribute.ValueString(), plan.TTLAttribute.ValueString()
	if err := ttlChange(state.TTLAttribute, plan.TTLAttribute); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("ttl_attribute"), "TTL attribute cannot change in one apply", err.Error())
		return
	}
	switch {
	case oldTTL != "" && newTTL == "":
		tflog.Info(ctx, "disabling TTL", map[string]any{"name": name, "attribute": oldTTL})
		if err := r.setTTL(ctx, name, oldTTL, false); err != nil {
			addAWSError(&resp.Diagnostics, "disable TTL on", "DynamoDB table", name, err)
			return
		}
	case oldTTL == "" && newTTL != "":
		tflog.Info(ctx, "enabling TTL", map[string]any{"name": name, "attribute": newTTL})
		if err := r.setTTL(ctx, name, newTTL, true); err != nil {
			if hasErrorCode(err, "ValidationException") {
				err = fmt.Errorf("%w (DynamoDB refuses a TTL change within an hour of the previous one: apply again later)", err)
			}
			addAWSError(&resp.Diagnostics, "enable TTL on", "DynamoDB table", name, err)
			return
		}
	}
	if !plan.TagsAll.Equal(state.TagsAll) {
		if _, err := applyTags(ctx, dynamoTags{r.clients.DynamoDB}, state.ARN.ValueString(), defaultTagsOf(r.clients), plan.Tags, state.TagsAll); err != nil {
			addAWSError(&resp.Diagnostics, "tag", "DynamoDB table", name, err)
			return
		}
	}
	found, err := r.read(ctx, &plan)
	if err != nil || !found {
		if err == nil {
			err = fmt.Errorf("table not found")
		}
		addAWSError(&resp.Diagnostics, "read", "DynamoDB table", name, err)
		return
	}
	// TTL changes take effect asynchronously; report what was asked for.
	plan.TTLAttribute = types.StringPointerValue(stringOrNil(newTTL))
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *TableResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data TableResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opDelete, tableTimeouts, &resp.Diagnostics)
	defer cancel()
	name := data.Name.ValueString()
	tflog.Info(ctx, "deleting DynamoDB table", map[string]any{"name": name})
	_, err := r.clients.DynamoDB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	if isNotFound(err) {
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "delete", "DynamoDB table", name, err)
		return
	}
	waiter := dynamodb.NewTableNotExistsWaiter(r.clients.DynamoDB)
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, remaining(ctx)); err != nil {
		addAWSError(&resp.Diagnostics, "wait for deletion of", "DynamoDB table", name, err)
	}
}

func (r *TableResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
}

// stringOrNil returns nil for "" and &s otherwise.
func stringOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
