package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/internal/route"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/pkg/transcode"
)

var (
	_ resource.Resource                   = &RouteTableResource{}
	_ resource.ResourceWithConfigure      = &RouteTableResource{}
	_ resource.ResourceWithImportState    = &RouteTableResource{}
	_ resource.ResourceWithValidateConfig = &RouteTableResource{}
)

// RouteTableResource manages the aggregator's route table: one item of a
// DynamoDB table holding the route document, which the aggregator re-reads on
// an interval (no redeploy).
type RouteTableResource struct {
	clients *Clients
}

// RouteTableResourceModel is the state of a portico_route_table.
type RouteTableResourceModel struct {
	ID        types.String `tfsdk:"id"`
	TableName types.String `tfsdk:"table_name"`
	Key       types.String `tfsdk:"key"`
	Document  jsonValue    `tfsdk:"document"`
	// Descriptors maps descriptor set names to files, for plan-time checks.
	Descriptors types.Map `tfsdk:"descriptors"`
	// IntegrationTimeout is API Gateway's integration timeout (ms) the
	// routes' timeouts must fit in.
	IntegrationTimeout types.Int64 `tfsdk:"integration_timeout_ms"`
}

// NewRouteTableResource returns a portico_route_table resource.
func NewRouteTableResource() resource.Resource {
	return &RouteTableResource{}
}

func (r *RouteTableResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_route_table"
}

func (r *RouteTableResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The aggregator's route table: a versioned JSON document (see `internal/route`) stored in one " +
			"item `{pk = key, document = ...}` of a DynamoDB table, which the aggregator reads at cold start and re-reads " +
			"every `PORTICO_ROUTES_REFRESH`. The document is validated at plan time with the aggregator's own rules " +
			"(paths, methods, header predicates, precedence ties, composite calls), and a route timeout that does not fit " +
			"behind API Gateway's integration timeout (`integration_timeout_ms` less 2 s) is refused. Every faulty route is " +
			"reported at once, each naming the route. " +
			"Creating it refuses to overwrite a route table already in the item and says how to import it. " +
			"Import with the table name (or `<table_name>/<key>`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<table_name>`, or `<table_name>/<key>` when `key` is not the default.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"table_name": schema.StringAttribute{
				MarkdownDescription: "DynamoDB table that holds the item; its partition key must be `pk` (string). Changing it replaces the item.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{tableNameValidator},
			},
			"key": schema.StringAttribute{
				MarkdownDescription: "Partition key value of the item: always `" + statetable.RoutesKey + "`, the only item the " +
					"functions read their routes from. Kept so that configurations that set it still parse; any other value is an error.",
				DeprecationMessage: "The functions read their routes from " + statetable.RoutesKey + " only; remove the key argument.",
				Optional:           true,
				Computed:           true,
				Default:            stringdefault.StaticString(statetable.RoutesKey),
				PlanModifiers:      replace,
				Validators:         []validator.String{routesKeyValidator{}},
			},
			"document": schema.StringAttribute{
				MarkdownDescription: "The route document as JSON, usually `jsonencode({version = 1, routes = [...]})`. " +
					"Validated at plan time; changes in place. Compared as JSON: key order and white space are not changes.",
				CustomType: jsonTypeOf(jsonAny),
				Required:   true,
			},
			"descriptors": schema.MapAttribute{
				MarkdownDescription: "The descriptor sets the document's gRPC routes name, by name: the path of each set's file, " +
					"usually `{ payments = portico_grpc_descriptors.payments.filename }`. Used only at plan time, to refuse gRPC routes " +
					"that name a set not listed here, a method or annotated service the set lacks, a path variable that is not a field, " +
					"or a client-streaming or bidirectional method; it also makes Terraform write the sets before the routes. Without it " +
					"gRPC routes are checked when the aggregator loads the table, which keeps its last good table if they do not fit. " +
					"The map is kept in the item (`" + descriptorFilesAttribute + "`), so an imported route table plans no change.",
				ElementType: types.StringType,
				Optional:    true,
			},
			"integration_timeout_ms": schema.Int64Attribute{
				MarkdownDescription: "API Gateway's integration timeout in front of the aggregator, in milliseconds, usually " +
					"`portico_api.<name>.integration_timeout_ms`. Every route's timeout must be at most this less 2 s (the " +
					"function ends 1 s before API Gateway gives up and keeps 1 s for its own work), or the plan refuses it: " +
					"behind API Gateway a longer route would end in `{\"message\":\"Endpoint request timed out\"}` while its " +
					"backend call goes on. Defaults to 29000, API Gateway's default. Kept in the item (`" + integrationTimeoutAttribute + "`).",
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultIntegrationTimeout),
				Validators: []validator.Int64{int64validator.Between(50, maxIntegrationTimeout)},
			},
		},
	}
}

// integrationTimeoutAttribute is the item attribute that keeps
// integration_timeout_ms, for Read.
const integrationTimeoutAttribute = "integrationTimeoutMs"

func (r *RouteTableResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks the document with the aggregator's validation, so a
// document the aggregator would refuse never gets applied.
func (r *RouteTableResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var doc jsonValue
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("document"), &doc)...)
	if resp.Diagnostics.HasError() || doc.IsNull() || doc.IsUnknown() {
		return
	}
	t := validateRouteDocument(doc.ValueString(), &resp.Diagnostics)
	if t == nil {
		return
	}
	var timeout types.Int64
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("integration_timeout_ms"), &timeout)...)
	if !timeout.IsUnknown() {
		limit := int64(defaultIntegrationTimeout)
		if !timeout.IsNull() {
			limit = timeout.ValueInt64()
		}
		for _, p := range t.TimeoutProblems(time.Duration(limit) * time.Millisecond) {
			resp.Diagnostics.AddAttributeError(path.Root("document"), "Route timeout beyond API Gateway's", p)
		}
	}
	if len(t.GRPCRoutes()) == 0 {
		return
	}
	var files types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("descriptors"), &files)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateGRPCRoutes(ctx, t, files, &resp.Diagnostics)
}

// descriptorFilesAttribute is the item attribute that keeps the descriptors
// map, for Read.
const descriptorFilesAttribute = "descriptorFiles"

// validateRouteDocument adds an error for each problem of an invalid
// document (one per route, naming it). It returns the table, or nil when the
// document is invalid.
func validateRouteDocument(doc string, diags *diag.Diagnostics) *route.Table {
	t, problems := routeDocumentProblems(doc)
	for _, p := range problems {
		diags.AddAttributeError(path.Root("document"), "Invalid route table",
			"The aggregator would refuse this route document and keep its current table: "+p.String())
	}
	return t
}

func routeTableID(table, key string) string {
	if key == statetable.RoutesKey {
		return table
	}
	return table + "/" + key
}

// parseRouteTableImportID splits "<table_name>" or "<table_name>/<key>"; the
// key, when given, must be the one the functions read.
func parseRouteTableImportID(id string) (table, key string, err error) {
	table, key, ok := strings.Cut(id, "/")
	if !ok {
		key = statetable.RoutesKey
	}
	if table == "" || key == "" {
		return "", "", fmt.Errorf("import ID %q: want <table_name> or <table_name>/<key>", id)
	}
	if key != statetable.RoutesKey {
		return "", "", fmt.Errorf("import ID %q: the functions read their routes from %s only, so no other item is a route table", id, statetable.RoutesKey)
	}
	return table, key, nil
}

// put writes the item; with create, only if it does not exist yet.
func (r *RouteTableResource) put(ctx context.Context, data RouteTableResourceModel, create bool) error {
	doc := data.Document.ValueString()
	t, problems := routeDocumentProblems(doc)
	if t == nil {
		return errProblems(problems) // ValidateConfig caught it unless the value was unknown at plan time
	}
	table, key := data.TableName.ValueString(), data.Key.ValueString()
	item := map[string]ddbtypes.AttributeValue{
		statetable.KeyAttr:      &ddbtypes.AttributeValueMemberS{Value: key},
		statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: doc},
		"revision":              &ddbtypes.AttributeValueMemberS{Value: t.Document().Revision},
		"updatedAt":             &ddbtypes.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339)},
	}
	if !data.Descriptors.IsNull() && !data.Descriptors.IsUnknown() {
		files := map[string]ddbtypes.AttributeValue{}
		for name, v := range data.Descriptors.Elements() {
			if s, ok := v.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
				files[name] = &ddbtypes.AttributeValueMemberS{Value: s.ValueString()}
			}
		}
		item[descriptorFilesAttribute] = &ddbtypes.AttributeValueMemberM{Value: files}
	}
	if !data.IntegrationTimeout.IsNull() && !data.IntegrationTimeout.IsUnknown() {
		item[integrationTimeoutAttribute] = &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(data.IntegrationTimeout.ValueInt64(), 10)}
	}
	err := r.clients.putStateItem(ctx, table, item, create,
		&itemExistsError{What: "a route table", Table: table, Key: key, ImportID: routeTableID(table, key)})
	if err != nil {
		return err
	}
	return r.clients.bumpRevision(ctx, table)
}

func (r *RouteTableResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data RouteTableResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data.ID = types.StringValue(routeTableID(data.TableName.ValueString(), data.Key.ValueString()))
	tflog.Info(ctx, "writing route table", map[string]any{"table": data.TableName.ValueString(), "key": data.Key.ValueString()})
	if err := r.put(ctx, data, true); err != nil {
		addAWSError(&resp.Diagnostics, "create", "route table", data.ID.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *RouteTableResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data RouteTableResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	item, err := r.clients.getStateItem(ctx, data.TableName.ValueString(), data.Key.ValueString())
	if err == nil && item == nil {
		tflog.Warn(ctx, "route table item is gone, removing it from state", map[string]any{"id": data.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "route table", data.ID.ValueString(), err)
		return
	}
	doc, _ := stringAttr(item, statetable.DocumentAttr) // not a route table: "", which the plan rewrites
	data.Document = jsonString(jsonAny, doc)
	// Items written before the map was kept have none: keep the state's.
	if files, ok := item[descriptorFilesAttribute].(*ddbtypes.AttributeValueMemberM); ok {
		m := map[string]string{}
		for name, v := range files.Value {
			if s, ok := v.(*ddbtypes.AttributeValueMemberS); ok {
				m[name] = s.Value
			}
		}
		v, dd := types.MapValueFrom(ctx, types.StringType, m)
		resp.Diagnostics.Append(dd...)
		data.Descriptors = v
	}
	if n, ok := item[integrationTimeoutAttribute].(*ddbtypes.AttributeValueMemberN); ok {
		if v, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			data.IntegrationTimeout = types.Int64Value(v)
		}
	}
	if data.IntegrationTimeout.IsNull() || data.IntegrationTimeout.IsUnknown() {
		data.IntegrationTimeout = types.Int64Value(defaultIntegrationTimeout)
	}
	data.ID = types.StringValue(routeTableID(data.TableName.ValueString(), data.Key.ValueString()))
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *RouteTableResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var data RouteTableResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	tflog.Info(ctx, "updating route table", map[string]any{"id": data.ID.ValueString()})
	if err := r.put(ctx, data, false); err != nil {
		addAWSError(&resp.Diagnostics, "update", "route table", data.ID.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *RouteTableResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data RouteTableResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.clients.deleteConfigItem(ctx, data.TableName.ValueString(), data.Key.ValueString()); err != nil {
		addAWSError(&resp.Diagnostics, "delete", "route table", data.ID.ValueString(), err)
	}
}

// ImportState takes "<table_name>" or "<table_name>/<key>".
func (r *RouteTableResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	table, key, err := parseRouteTableImportID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), routeTableID(table, key))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("table_name"), table)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("key"), key)...)
}

// validateGRPCRoutes checks t's gRPC routes against the descriptor set files
// of the descriptors attribute, as the aggregator checks them when it loads
// the table. Unknown file paths (not known until apply) skip the check.
func validateGRPCRoutes(ctx context.Context, t *route.Table, files types.Map, diags *diag.Diagnostics) {
	if files.IsUnknown() {
		return
	}
	if files.IsNull() {
		diags.AddAttributeWarning(path.Root("descriptors"), "gRPC routes not checked at plan time",
			fmt.Sprintf("The document has gRPC routes using the descriptor sets %s; set descriptors = { <name> = "+
				"portico_grpc_descriptors.<name>.filename } to check them now. The aggregator checks them when it loads the table "+
				"and keeps its last good table if they do not fit.", strings.Join(t.DescriptorSets(), ", ")))
		return
	}
	var paths map[string]types.String
	diags.Append(files.ElementsAs(ctx, &paths, false)...)
	if diags.HasError() {
		return
	}
	sets := map[string]*transcode.Descriptors{}
	for name, p := range paths {
		if p.IsUnknown() {
			return
		}
		_, d, err := readDescriptorSet(p.ValueString())
		if errors.Is(err, os.ErrNotExist) {
			// Built in this same run: the aggregator checks the routes when
			// it loads the table.
			diags.AddAttributeWarning(path.Root("descriptors").AtMapKey(name), "gRPC routes not checked at plan time",
				fmt.Sprintf("The descriptor set file %s does not exist yet, so the gRPC routes using %q are not checked now. "+
					"The aggregator checks them when it loads the table and keeps its last good table if they do not fit.", p.ValueString(), name))
			return
		}
		if err != nil {
			diags.AddAttributeError(path.Root("descriptors").AtMapKey(name), "Invalid descriptor set", err.Error())
			return
		}
		sets[name] = d
	}
	// One diagnostic per gRPC route that does not fit, each naming it.
	doc := t.Document()
	for _, r := range t.GRPCRoutes() {
		one, err := route.Compile(route.Document{Version: doc.Version, VersionHeader: doc.VersionHeader, Routes: []route.Route{*r}})
		if err != nil {
			continue // valid in the whole table, so valid alone
		}
		if _, err := one.GRPC(sets); err != nil {
			msg := strings.TrimPrefix(err.Error(), route.ErrDescriptors.Error()+": ")
			if errors.Is(err, transcode.ErrStreaming) {
				msg += " (a JSON request is one message: client-streaming and bidirectional methods cannot be routed)"
			}
			diags.AddAttributeError(path.Root("document"), "gRPC route does not fit its descriptor set",
				"The aggregator would refuse this route table and keep its current one: "+msg)
		}
	}
}

// routesKeyValidator refuses any key but the one the functions read: a route
// document written elsewhere would be applied without error and never used.
type routesKeyValidator struct{}

func (routesKeyValidator) Description(context.Context) string {
	return "value must be " + statetable.RoutesKey
}

func (v routesKeyValidator) MarkdownDescription(ctx context.Context) string {
	return "value must be `" + statetable.RoutesKey + "`"
}

func (routesKeyValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || req.ConfigValue.ValueString() == statetable.RoutesKey {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Route table under a key the functions do not read",
		fmt.Sprintf("key is %q, but the aggregator and the authorizer read their routes from %s only: a document under any "+
			"other key would be written and never used. Remove the key argument.", req.ConfigValue.ValueString(), statetable.RoutesKey))
}
