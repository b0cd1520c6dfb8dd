package provider

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
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
)

var (
	_ resource.Resource                = &APIResource{}
	_ resource.ResourceWithConfigure   = &APIResource{}
	_ resource.ResourceWithImportState = &APIResource{}
)

// Fixed parts of the REST API that portico_api builds.
const (
	authorizerName       = "portico"
	identitySource       = "method.request.header.Authorization"
	proxyPathPart        = "{proxy+}"
	proxyPath            = "/" + proxyPathPart
	anyMethod            = "ANY"
	apigatewayService    = "apigateway.amazonaws.com"
	defaultStageName     = "v1"
	defaultAuthorizerTTL = 300
)

// APIResource manages the REST API (API Gateway v1) of Portico's request path:
// every path and method goes through the authorizer function to the
// aggregator function.
type APIResource struct {
	clients *Clients
}

// APIResourceModel is the state of a portico_api.
type APIResourceModel struct {
	ID                    types.String `tfsdk:"id"`
	Name                  types.String `tfsdk:"name"`
	AuthorizerFunctionARN types.String `tfsdk:"authorizer_function_arn"`
	AggregatorFunctionARN types.String `tfsdk:"aggregator_function_arn"`
	AuthorizerTTL         types.Int64  `tfsdk:"authorizer_ttl"`
	StageName             types.String `tfsdk:"stage_name"`
	RootResourceID        types.String `tfsdk:"root_resource_id"`
	ProxyResourceID       types.String `tfsdk:"proxy_resource_id"`
	AuthorizerID          types.String `tfsdk:"authorizer_id"`
	DeploymentID          types.String `tfsdk:"deployment_id"`
	ExecutionARN          types.String `tfsdk:"execution_arn"`
	InvokeURL             types.String `tfsdk:"invoke_url"`
	GatewayResponses      types.Map    `tfsdk:"gateway_responses"`
}

// NewAPIResource returns a portico_api resource.
func NewAPIResource() resource.Resource {
	return &APIResource{}
}

func (r *APIResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api"
}

func (r *APIResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The regional REST API (API Gateway v1) of Portico's request path: `ANY /` and " +
			"`ANY /{proxy+}` are authorized by a `REQUEST` Lambda authorizer named `portico` (identity source: the " +
			"`Authorization` header) and proxied (`AWS_PROXY`) to the aggregator function, then deployed to a stage. " +
			"Optionally customizes the gateway responses API Gateway answers with when it rejects a request itself.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "REST API id.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the REST API. Changing it replaces the API.",
				Required:            true,
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"authorizer_function_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the Lambda function that authorizes each request.",
				Required:            true,
				Validators:          []validator.String{lambdaARNValidator{}},
			},
			"aggregator_function_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the Lambda function that serves each authorized request.",
				Required:            true,
				Validators:          []validator.String{lambdaARNValidator{}},
			},
			"authorizer_ttl": schema.Int64Attribute{
				MarkdownDescription: "Seconds API Gateway caches an authorizer decision, 0 (no cache) to 3600. Defaults to 300. Changes in place and redeploys the stage.",
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(defaultAuthorizerTTL),
				Validators:          []validator.Int64{int64validator.Between(0, 3600)},
			},
			"stage_name": schema.StringAttribute{
				MarkdownDescription: "Name of the stage the API is deployed to. Defaults to `" + defaultStageName + "`. Changing it replaces the API.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(defaultStageName),
				PlanModifiers:       replace,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"root_resource_id": schema.StringAttribute{
				MarkdownDescription: "Id of the API's root resource `/`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"proxy_resource_id": schema.StringAttribute{
				MarkdownDescription: "Id of the `/{proxy+}` resource.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"authorizer_id": schema.StringAttribute{
				MarkdownDescription: "Id of the `portico` authorizer.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"deployment_id": schema.StringAttribute{
				MarkdownDescription: "Id of the deployment the stage serves. Every update makes a new deployment.",
				Computed:            true,
			},
			"execution_arn": schema.StringAttribute{
				MarkdownDescription: "Execution ARN of the API, `arn:aws:execute-api:<region>:<account>:<id>`, for Lambda permissions and IAM policies.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"invoke_url": schema.StringAttribute{
				MarkdownDescription: "URL of the stage. With an emulator `endpoint` it is `<endpoint>/_aws/execute-api/<id>/<stage>`; " +
					"otherwise `https://<id>.execute-api.<region>.amazonaws.com/<stage>`.",
				Computed:      true,
				PlanModifiers: keep,
			},
			"gateway_responses": gatewayResponsesSchema(),
		},
	}
}

func (r *APIResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = clientsFrom(req.ProviderData, &resp.Diagnostics)
}

// invokeURL is the base URL of a deployed stage. endpoint is the emulator base
// URL, or empty for AWS. Emulators serve the path-style form because Go's
// resolver does not resolve *.localhost host names.
func invokeURL(endpoint, region, apiID, stage string) string {
	if endpoint != "" {
		return fmt.Sprintf("%s/_aws/execute-api/%s/%s", strings.TrimRight(endpoint, "/"), apiID, stage)
	}
	return fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s", apiID, region, stage)
}

// caller is who the provider runs as.
type caller struct {
	Partition string
	Account   string
}

// executionARN is the execute-api ARN of an API.
func (c caller) executionARN(region, apiID string) string {
	return fmt.Sprintf("arn:%s:execute-api:%s:%s:%s", c.Partition, region, c.Account, apiID)
}

// statementID is the Lambda permission statement that lets API apiID invoke
// the function in the given role ("authorizer" or "aggregator").
func statementID(apiID, role string) string {
	return "portico-" + apiID + "-" + role
}

func (r *APIResource) caller(ctx context.Context) (caller, error) {
	return callerIdentity(ctx, r.clients.STS)
}

// callerIdentity asks STS who the provider runs as.
func callerIdentity(ctx context.Context, stsClient *sts.Client) (caller, error) {
	out, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return caller{}, fmt.Errorf("get caller identity: %w", err)
	}
	c := caller{Partition: "aws", Account: aws.ToString(out.Account)}
	if parts := strings.SplitN(aws.ToString(out.Arn), ":", 3); len(parts) == 3 && parts[1] != "" {
		c.Partition = parts[1]
	}
	return c, nil
}

// nullUnknowns replaces the unknown computed values of a half-built API with
// nulls, so that it can be saved as tainted.
func (m *APIResourceModel) nullUnknowns() {
	for _, v := range []*types.String{&m.ID, &m.RootResourceID, &m.ProxyResourceID, &m.AuthorizerID,
		&m.DeploymentID, &m.ExecutionARN, &m.InvokeURL} {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
}

func (r *APIResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data APIResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := data.Name.ValueString()
	who, err := r.caller(ctx)
	if err != nil {
		addAWSError(&resp.Diagnostics, "find the AWS account for", "REST API", name, err)
		return
	}

	tflog.Info(ctx, "creating REST API", map[string]any{"name": name})
	api, err := r.clients.APIGateway.CreateRestApi(ctx, &apigateway.CreateRestApiInput{
		Name:                  aws.String(name),
		EndpointConfiguration: &apigwtypes.EndpointConfiguration{Types: []apigwtypes.EndpointType{apigwtypes.EndpointTypeRegional}},
	})
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "REST API", name, err)
		return
	}
	data.ID = types.StringValue(aws.ToString(api.Id))
	data.ExecutionARN = types.StringValue(who.executionARN(r.clients.Region, data.ID.ValueString()))
	data.InvokeURL = types.StringValue(invokeURL(r.clients.Endpoint, r.clients.Region, data.ID.ValueString(), data.StageName.ValueString()))

	// From here on the API exists: on failure, save what was built so that
	// Terraform marks it tainted and destroys it, rather than leaking it.
	if err := r.build(ctx, &data, who, aws.ToString(api.RootResourceId)); err != nil {
		addAWSError(&resp.Diagnostics, "set up", "REST API", name, err)
		data.nullUnknowns()
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// build creates the resources, authorizer, methods, integrations, permissions
// and deployment of the new API data.ID, filling in data's computed ids.
func (r *APIResource) build(ctx context.Context, data *APIResourceModel, who caller, rootID string) error {
	gw := r.clients.APIGateway
	apiID := data.ID.ValueString()

	if rootID == "" {
		var err error
		if rootID, _, err = r.resourceIDs(ctx, apiID); err != nil {
			return err
		}
	}
	data.RootResourceID = types.StringValue(rootID)

	proxy, err := gw.CreateResource(ctx, &apigateway.CreateResourceInput{
		RestApiId: aws.String(apiID), ParentId: aws.String(rootID), PathPart: aws.String(proxyPathPart),
	})
	if err != nil {
		return fmt.Errorf("create resource %s: %w", proxyPath, err)
	}
	data.ProxyResourceID = types.StringValue(aws.ToString(proxy.Id))

	authURI, err := lambdaInvokeARN(data.AuthorizerFunctionARN.ValueString())
	if err != nil {
		return err
	}
	auth, err := gw.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{
		RestApiId:                    aws.String(apiID),
		Name:                         aws.String(authorizerName),
		Type:                         apigwtypes.AuthorizerTypeRequest,
		IdentitySource:               aws.String(identitySource),
		AuthorizerUri:                aws.String(authURI),
		AuthorizerResultTtlInSeconds: aws.Int32(int32(data.AuthorizerTTL.ValueInt64())),
	})
	if err != nil {
		return fmt.Errorf("create authorizer: %w", err)
	}
	data.AuthorizerID = types.StringValue(aws.ToString(auth.Id))

	for _, res := range []struct {
		id, path string
		params   map[string]bool
	}{
		{rootID, "/", nil},
		{aws.ToString(proxy.Id), proxyPath, map[string]bool{"method.request.path.proxy": true}},
	} {
		_, err := gw.PutMethod(ctx, &apigateway.PutMethodInput{
			RestApiId:         aws.String(apiID),
			ResourceId:        aws.String(res.id),
			HttpMethod:        aws.String(anyMethod),
			AuthorizationType: aws.String("CUSTOM"),
			AuthorizerId:      auth.Id,
			RequestParameters: res.params,
		})
		if err != nil {
			return fmt.Errorf("put method ANY %s: %w", res.path, err)
		}
		if err := r.putIntegration(ctx, apiID, res.id, data.AggregatorFunctionARN.ValueString()); err != nil {
			return fmt.Errorf("put integration ANY %s: %w", res.path, err)
		}
	}

	sourceARN := who.executionARN(r.clients.Region, apiID) + "/*"
	for role, fn := range map[string]string{"authorizer": data.AuthorizerFunctionARN.ValueString(), "aggregator": data.AggregatorFunctionARN.ValueString()} {
		if err := r.addPermission(ctx, fn, statementID(apiID, role), sourceARN); err != nil {
			return err
		}
	}

	// Gateway responses take effect with the deployment that follows.
	responses, err := gatewayResponsesFrom(ctx, data.GatewayResponses)
	if err != nil {
		return err
	}
	put, _ := diffGatewayResponses(nil, responses)
	if err := r.putGatewayResponses(ctx, apiID, responses, put); err != nil {
		return err
	}
	return r.deploy(ctx, data)
}

func (r *APIResource) putIntegration(ctx context.Context, apiID, resourceID, functionARN string) error {
	uri, err := lambdaInvokeARN(functionARN)
	if err != nil {
		return err
	}
	_, err = r.clients.APIGateway.PutIntegration(ctx, &apigateway.PutIntegrationInput{
		RestApiId:             aws.String(apiID),
		ResourceId:            aws.String(resourceID),
		HttpMethod:            aws.String(anyMethod),
		Type:                  apigwtypes.IntegrationTypeAwsProxy,
		IntegrationHttpMethod: aws.String("POST"),
		Uri:                   aws.String(uri),
	})
	return err
}

func (r *APIResource) addPermission(ctx context.Context, functionARN, statement, sourceARN string) error {
	tflog.Debug(ctx, "adding Lambda permission", map[string]any{"function": functionARN, "statement_id": statement})
	_, err := r.clients.Lambda.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(functionARN),
		StatementId:  aws.String(statement),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String(apigatewayService),
		SourceArn:    aws.String(sourceARN),
	})
	if err != nil {
		return fmt.Errorf("allow API Gateway to invoke %s: %w", functionARN, err)
	}
	return nil
}

// removePermission removes a statement; a missing function or statement is fine.
func (r *APIResource) removePermission(ctx context.Context, functionARN, statement string) error {
	if functionARN == "" {
		return nil
	}
	_, err := r.clients.Lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{
		FunctionName: aws.String(functionARN),
		StatementId:  aws.String(statement),
	})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("remove permission %s from %s: %w", statement, functionARN, err)
	}
	return nil
}

// deploy makes a new deployment of the API and points the stage at it.
func (r *APIResource) deploy(ctx context.Context, data *APIResourceModel) error {
	out, err := r.clients.APIGateway.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId: aws.String(data.ID.ValueString()),
		StageName: aws.String(data.StageName.ValueString()),
	})
	if err != nil {
		return fmt.Errorf("deploy to stage %s: %w", data.StageName.ValueString(), err)
	}
	data.DeploymentID = types.StringValue(aws.ToString(out.Id))
	return nil
}

// resourceIDs finds the ids of "/" and "/{proxy+}" ("" when missing).
func (r *APIResource) resourceIDs(ctx context.Context, apiID string) (root, proxy string, err error) {
	p := apigateway.NewGetResourcesPaginator(r.clients.APIGateway, &apigateway.GetResourcesInput{
		RestApiId: aws.String(apiID), Limit: aws.Int32(500),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", "", fmt.Errorf("list resources: %w", err)
		}
		for _, it := range page.Items {
			switch aws.ToString(it.Path) {
			case "/":
				root = aws.ToString(it.Id)
			case proxyPath:
				proxy = aws.ToString(it.Id)
			}
		}
	}
	if root == "" {
		return "", "", fmt.Errorf("REST API %s has no root resource", apiID)
	}
	return root, proxy, nil
}

// read refreshes data from AWS. It returns found=false when the API is gone.
// It adds warnings to warn for parts deleted outside Terraform.
func (r *APIResource) read(ctx context.Context, data *APIResourceModel, warn func(summary, detail string)) (found bool, err error) {
	gw := r.clients.APIGateway
	apiID := data.ID.ValueString()
	api, err := gw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	data.Name = types.StringValue(aws.ToString(api.Name))

	root, proxy, err := r.resourceIDs(ctx, apiID)
	if err != nil {
		return true, err
	}
	data.RootResourceID = types.StringValue(root)
	data.ProxyResourceID = types.StringPointerValue(stringOrNil(proxy))

	// Authorizer: by id, or by name after an import.
	var auth *apigwtypes.Authorizer
	if id := data.AuthorizerID.ValueString(); id != "" {
		out, err := gw.GetAuthorizer(ctx, &apigateway.GetAuthorizerInput{RestApiId: aws.String(apiID), AuthorizerId: aws.String(id)})
		if err != nil && !isNotFound(err) {
			return true, fmt.Errorf("get authorizer %s: %w", id, err)
		}
		if err == nil {
			auth = &apigwtypes.Authorizer{Id: out.Id, AuthorizerUri: out.AuthorizerUri, AuthorizerResultTtlInSeconds: out.AuthorizerResultTtlInSeconds}
		}
	}
	if auth == nil {
		out, err := gw.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
		if err != nil {
			return true, fmt.Errorf("list authorizers: %w", err)
		}
		for i := range out.Items {
			if aws.ToString(out.Items[i].Name) == authorizerName {
				auth = &out.Items[i]
				break
			}
		}
	}
	if auth == nil {
		warn("Authorizer missing", fmt.Sprintf("REST API %s has no authorizer named %q; it was deleted outside Terraform. "+
			"Replace the API (terraform apply -replace) to rebuild it.", apiID, authorizerName))
		data.AuthorizerID = types.StringNull()
		data.AuthorizerFunctionARN = types.StringNull()
	} else {
		data.AuthorizerID = types.StringValue(aws.ToString(auth.Id))
		data.AuthorizerTTL = types.Int64Value(int64(aws.ToInt32(auth.AuthorizerResultTtlInSeconds)))
		if fn, err := functionARNFromInvokeARN(aws.ToString(auth.AuthorizerUri)); err == nil {
			data.AuthorizerFunctionARN = types.StringValue(fn)
		} else {
			data.AuthorizerFunctionARN = types.StringNull()
		}
	}

	// Aggregator: the integration of ANY /.
	integ, err := gw.GetIntegration(ctx, &apigateway.GetIntegrationInput{
		RestApiId: aws.String(apiID), ResourceId: aws.String(root), HttpMethod: aws.String(anyMethod),
	})
	switch {
	case isNotFound(err):
		warn("Integration missing", fmt.Sprintf("REST API %s has no integration on ANY /; it was deleted outside Terraform.", apiID))
		data.AggregatorFunctionARN = types.StringNull()
	case err != nil:
		return true, fmt.Errorf("get integration ANY /: %w", err)
	default:
		if fn, err := functionARNFromInvokeARN(aws.ToString(integ.Uri)); err == nil {
			data.AggregatorFunctionARN = types.StringValue(fn)
		} else {
			data.AggregatorFunctionARN = types.StringNull()
		}
	}

	if err := r.readGatewayResponses(ctx, data); err != nil {
		return true, err
	}
	if err := r.readStage(ctx, data, warn); err != nil {
		return true, err
	}

	who, err := r.caller(ctx)
	if err != nil {
		return true, err
	}
	data.ExecutionARN = types.StringValue(who.executionARN(r.clients.Region, apiID))
	if data.StageName.IsNull() {
		data.InvokeURL = types.StringNull()
	} else {
		data.InvokeURL = types.StringValue(invokeURL(r.clients.Endpoint, r.clients.Region, apiID, data.StageName.ValueString()))
	}
	return true, nil
}

// readStage refreshes the stage and its deployment. After an import the stage
// name is unknown: it takes the only stage, else "v1", else the first by name.
func (r *APIResource) readStage(ctx context.Context, data *APIResourceModel, warn func(summary, detail string)) error {
	gw := r.clients.APIGateway
	apiID := data.ID.ValueString()
	if stage := data.StageName.ValueString(); stage != "" {
		out, err := gw.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage)})
		if isNotFound(err) {
			warn("Stage missing", fmt.Sprintf("Stage %q of REST API %s was deleted outside Terraform; the API will be replaced.", stage, apiID))
			data.StageName = types.StringNull()
			data.DeploymentID = types.StringNull()
			return nil
		}
		if err != nil {
			return fmt.Errorf("get stage %s: %w", stage, err)
		}
		data.DeploymentID = types.StringValue(aws.ToString(out.DeploymentId))
		return nil
	}
	out, err := gw.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: aws.String(apiID)})
	if err != nil {
		return fmt.Errorf("list stages: %w", err)
	}
	names := make([]string, 0, len(out.Item))
	deployments := map[string]string{}
	for _, s := range out.Item {
		names = append(names, aws.ToString(s.StageName))
		deployments[aws.ToString(s.StageName)] = aws.ToString(s.DeploymentId)
	}
	stage := pickStage(names)
	data.StageName = types.StringPointerValue(stringOrNil(stage))
	data.DeploymentID = types.StringPointerValue(stringOrNil(deployments[stage]))
	return nil
}

// pickStage chooses the stage of an imported API: the only one, else the
// default stage, else the first by name; "" when there is none.
func pickStage(names []string) string {
	if len(names) == 0 {
		return ""
	}
	for _, n := range names {
		if n == defaultStageName {
			return n
		}
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return sorted[0]
}

func (r *APIResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data APIResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	found, err := r.read(ctx, &data, resp.Diagnostics.AddWarning)
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "REST API", data.ID.ValueString(), err)
		return
	}
	if !found {
		tflog.Warn(ctx, "REST API is gone, removing it from state", map[string]any{"id": data.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *APIResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state APIResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	if err := r.update(ctx, &plan, &state); err != nil {
		addAWSError(&resp.Diagnostics, "update", "REST API", name, err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *APIResource) update(ctx context.Context, plan, state *APIResourceModel) error {
	gw := r.clients.APIGateway
	apiID := state.ID.ValueString()
	if state.AuthorizerID.IsNull() {
		return fmt.Errorf("the %q authorizer was deleted outside Terraform; replace the API with terraform apply -replace", authorizerName)
	}
	who, err := r.caller(ctx)
	if err != nil {
		return err
	}
	sourceARN := who.executionARN(r.clients.Region, apiID) + "/*"

	var patch []apigwtypes.PatchOperation
	if !plan.AuthorizerTTL.Equal(state.AuthorizerTTL) {
		patch = append(patch, apigwtypes.PatchOperation{
			Op: apigwtypes.OpReplace, Path: aws.String("/authorizerResultTtlInSeconds"),
			Value: aws.String(strconv.FormatInt(plan.AuthorizerTTL.ValueInt64(), 10)),
		})
	}
	if !plan.AuthorizerFunctionARN.Equal(state.AuthorizerFunctionARN) {
		uri, err := lambdaInvokeARN(plan.AuthorizerFunctionARN.ValueString())
		if err != nil {
			return err
		}
		patch = append(patch, apigwtypes.PatchOperation{Op: apigwtypes.OpReplace, Path: aws.String("/authorizerUri"), Value: aws.String(uri)})
		stmt := statementID(apiID, "authorizer")
		if err := r.removePermission(ctx, state.AuthorizerFunctionARN.ValueString(), stmt); err != nil {
			return err
		}
		if err := r.addPermission(ctx, plan.AuthorizerFunctionARN.ValueString(), stmt, sourceARN); err != nil {
			return err
		}
	}
	if len(patch) > 0 {
		tflog.Info(ctx, "updating authorizer", map[string]any{"api_id": apiID, "authorizer_id": state.AuthorizerID.ValueString()})
		_, err := gw.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{
			RestApiId: aws.String(apiID), AuthorizerId: aws.String(state.AuthorizerID.ValueString()), PatchOperations: patch,
		})
		if err != nil {
			return fmt.Errorf("update authorizer: %w", err)
		}
	}

	if !plan.AggregatorFunctionARN.Equal(state.AggregatorFunctionARN) {
		for _, id := range []string{state.RootResourceID.ValueString(), state.ProxyResourceID.ValueString()} {
			if id == "" {
				continue
			}
			if err := r.putIntegration(ctx, apiID, id, plan.AggregatorFunctionARN.ValueString()); err != nil {
				return fmt.Errorf("put integration on resource %s: %w", id, err)
			}
		}
		stmt := statementID(apiID, "aggregator")
		if err := r.removePermission(ctx, state.AggregatorFunctionARN.ValueString(), stmt); err != nil {
			return err
		}
		if err := r.addPermission(ctx, plan.AggregatorFunctionARN.ValueString(), stmt, sourceARN); err != nil {
			return err
		}
	}

	have, err := gatewayResponsesFrom(ctx, state.GatewayResponses)
	if err != nil {
		return err
	}
	want, err := gatewayResponsesFrom(ctx, plan.GatewayResponses)
	if err != nil {
		return err
	}
	put, del := diffGatewayResponses(have, want)
	if err := r.deleteGatewayResponses(ctx, apiID, del); err != nil {
		return err
	}
	if err := r.putGatewayResponses(ctx, apiID, want, put); err != nil {
		return err
	}

	// Authorizer, integration and gateway response changes reach callers only
	// through a deployment.
	tflog.Info(ctx, "redeploying REST API", map[string]any{"api_id": apiID, "stage": plan.StageName.ValueString()})
	if err := r.deploy(ctx, plan); err != nil {
		return err
	}
	found, err := r.read(ctx, plan, func(string, string) {})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("REST API %s disappeared during the update", apiID)
	}
	return nil
}

func (r *APIResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data APIResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	apiID := data.ID.ValueString()
	for role, fn := range map[string]string{"authorizer": data.AuthorizerFunctionARN.ValueString(), "aggregator": data.AggregatorFunctionARN.ValueString()} {
		if err := r.removePermission(ctx, fn, statementID(apiID, role)); err != nil {
			addAWSError(&resp.Diagnostics, "delete", "REST API", apiID, err)
			return
		}
	}
	tflog.Info(ctx, "deleting REST API", map[string]any{"id": apiID})
	_, err := r.clients.APIGateway.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: aws.String(apiID)})
	if err != nil && !isNotFound(err) {
		addAWSError(&resp.Diagnostics, "delete", "REST API", apiID, err)
	}
}

func (r *APIResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
