package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/internal/cors"
)

var (
	_ resource.Resource                   = &APIResource{}
	_ resource.ResourceWithConfigure      = &APIResource{}
	_ resource.ResourceWithImportState    = &APIResource{}
	_ resource.ResourceWithModifyPlan     = &APIResource{}
	_ resource.ResourceWithValidateConfig = &APIResource{}
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
	// defaultIntegrationTimeout is API Gateway's integration timeout, in
	// milliseconds, unless raised (Regional and private REST APIs may, on
	// request to AWS).
	defaultIntegrationTimeout = 29000
	// maxIntegrationTimeout is Lambda's own limit (15 minutes).
	maxIntegrationTimeout = 900000
	// functionMargin is how much sooner than API Gateway's integration
	// timeout the aggregator function must end, so that it always answers
	// (its own 504) before API Gateway gives up on it: cold start, the
	// runtime's overhead and the network between them fit in it.
	functionMargin = time.Second
	// deploymentDescription marks the deployments portico_api makes, so that
	// an import into an existing API finds the stage it deploys to.
	deploymentDescription = "Deployed by Terraform (portico_api)"
	// importExistingPrefix starts the import ID of Portico wired into an
	// existing REST API: existing/<rest_api_id>.
	importExistingPrefix = "existing/"
	// pendingKey is the private state key of the work an interrupted apply
	// left (pendingWork).
	pendingKey = "pending"
)

// apiTimeouts are portico_api's default timeouts: API Gateway's control plane
// throttles hard (a few CreateRestApi and DeleteRestApi calls a minute), and
// the SDK backs off and retries within them.
var apiTimeouts = opTimeouts{Create: 20 * time.Minute, Update: 20 * time.Minute, Delete: 10 * time.Minute}

// apiGatewayAPI is the part of the API Gateway client that portico_api uses;
// *apigateway.Client implements it, and the unit tests use a model of API
// Gateway's deployments and Lambda's permissions. It is larger than the
// house's one-to-three methods on purpose: it is every call the resource
// makes, so that one model of API Gateway (api_model_test.go) can check the
// order of all of them, which small per-step interfaces would hide.
type apiGatewayAPI interface {
	CreateRestApi(ctx context.Context, in *apigateway.CreateRestApiInput, opts ...func(*apigateway.Options)) (*apigateway.CreateRestApiOutput, error)
	GetRestApi(ctx context.Context, in *apigateway.GetRestApiInput, opts ...func(*apigateway.Options)) (*apigateway.GetRestApiOutput, error)
	UpdateRestApi(ctx context.Context, in *apigateway.UpdateRestApiInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateRestApiOutput, error)
	DeleteRestApi(ctx context.Context, in *apigateway.DeleteRestApiInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteRestApiOutput, error)
	GetResources(ctx context.Context, in *apigateway.GetResourcesInput, opts ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error)
	CreateResource(ctx context.Context, in *apigateway.CreateResourceInput, opts ...func(*apigateway.Options)) (*apigateway.CreateResourceOutput, error)
	DeleteResource(ctx context.Context, in *apigateway.DeleteResourceInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteResourceOutput, error)
	CreateAuthorizer(ctx context.Context, in *apigateway.CreateAuthorizerInput, opts ...func(*apigateway.Options)) (*apigateway.CreateAuthorizerOutput, error)
	GetAuthorizer(ctx context.Context, in *apigateway.GetAuthorizerInput, opts ...func(*apigateway.Options)) (*apigateway.GetAuthorizerOutput, error)
	GetAuthorizers(ctx context.Context, in *apigateway.GetAuthorizersInput, opts ...func(*apigateway.Options)) (*apigateway.GetAuthorizersOutput, error)
	UpdateAuthorizer(ctx context.Context, in *apigateway.UpdateAuthorizerInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateAuthorizerOutput, error)
	DeleteAuthorizer(ctx context.Context, in *apigateway.DeleteAuthorizerInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteAuthorizerOutput, error)
	GetMethod(ctx context.Context, in *apigateway.GetMethodInput, opts ...func(*apigateway.Options)) (*apigateway.GetMethodOutput, error)
	PutMethod(ctx context.Context, in *apigateway.PutMethodInput, opts ...func(*apigateway.Options)) (*apigateway.PutMethodOutput, error)
	DeleteMethod(ctx context.Context, in *apigateway.DeleteMethodInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteMethodOutput, error)
	PutIntegration(ctx context.Context, in *apigateway.PutIntegrationInput, opts ...func(*apigateway.Options)) (*apigateway.PutIntegrationOutput, error)
	GetIntegration(ctx context.Context, in *apigateway.GetIntegrationInput, opts ...func(*apigateway.Options)) (*apigateway.GetIntegrationOutput, error)
	CreateDeployment(ctx context.Context, in *apigateway.CreateDeploymentInput, opts ...func(*apigateway.Options)) (*apigateway.CreateDeploymentOutput, error)
	GetDeployment(ctx context.Context, in *apigateway.GetDeploymentInput, opts ...func(*apigateway.Options)) (*apigateway.GetDeploymentOutput, error)
	GetStage(ctx context.Context, in *apigateway.GetStageInput, opts ...func(*apigateway.Options)) (*apigateway.GetStageOutput, error)
	GetStages(ctx context.Context, in *apigateway.GetStagesInput, opts ...func(*apigateway.Options)) (*apigateway.GetStagesOutput, error)
	DeleteStage(ctx context.Context, in *apigateway.DeleteStageInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteStageOutput, error)
	UpdateStage(ctx context.Context, in *apigateway.UpdateStageInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateStageOutput, error)
	PutGatewayResponse(ctx context.Context, in *apigateway.PutGatewayResponseInput, opts ...func(*apigateway.Options)) (*apigateway.PutGatewayResponseOutput, error)
	DeleteGatewayResponse(ctx context.Context, in *apigateway.DeleteGatewayResponseInput, opts ...func(*apigateway.Options)) (*apigateway.DeleteGatewayResponseOutput, error)
	GetGatewayResponses(ctx context.Context, in *apigateway.GetGatewayResponsesInput, opts ...func(*apigateway.Options)) (*apigateway.GetGatewayResponsesOutput, error)
}

var _ apiGatewayAPI = (*apigateway.Client)(nil)

// apigwAccountAPI is the part of the API Gateway client that reads and sets
// the region's account settings (the CloudWatch Logs role).
type apigwAccountAPI interface {
	GetAccount(ctx context.Context, in *apigateway.GetAccountInput, opts ...func(*apigateway.Options)) (*apigateway.GetAccountOutput, error)
	UpdateAccount(ctx context.Context, in *apigateway.UpdateAccountInput, opts ...func(*apigateway.Options)) (*apigateway.UpdateAccountOutput, error)
}

var _ apigwAccountAPI = (*apigateway.Client)(nil)

// functionConfigAPI reads a function's configuration (its timeout).
type functionConfigAPI interface {
	GetFunctionConfiguration(ctx context.Context, in *lambda.GetFunctionConfigurationInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

var _ functionConfigAPI = (*lambda.Client)(nil)

// callerAPI is the part of the STS client that finds the account.
type callerAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ callerAPI = (*sts.Client)(nil)

// APIResource manages the REST API (API Gateway v1) of Portico's request path:
// every path and method goes through the authorizer function to the
// aggregator function. It creates the REST API, or wires Portico into one
// that already exists (rest_api_id).
type APIResource struct {
	gw     apiGatewayAPI
	lambda lambdaPermissionAPI
	sts    callerAPI
	// The clients of the stage's access log, tags, the account's logging
	// role and the aggregator's timeout; nil in the unit tests (no access
	// log, no tags, no timeout lookup there).
	logs      logsAPI
	logTags   tagger
	tagsAPI   apigwTagAPI
	account   apigwAccountAPI
	functions functionConfigAPI
	defaults  map[string]string
	// region and endpoint are the provider's (endpoint: an emulator's base URL).
	region, endpoint string
	configured       bool
}

// APIResourceModel is the state of a portico_api.
type APIResourceModel struct {
	ID                    types.String   `tfsdk:"id"`
	RestAPIID             types.String   `tfsdk:"rest_api_id"`
	Name                  types.String   `tfsdk:"name"`
	AuthorizerFunctionARN types.String   `tfsdk:"authorizer_function_arn"`
	AggregatorFunctionARN types.String   `tfsdk:"aggregator_function_arn"`
	AuthorizerTTL         types.Int64    `tfsdk:"authorizer_ttl"`
	StageName             types.String   `tfsdk:"stage_name"`
	RootResourceID        types.String   `tfsdk:"root_resource_id"`
	ProxyResourceID       types.String   `tfsdk:"proxy_resource_id"`
	AuthorizerID          types.String   `tfsdk:"authorizer_id"`
	DeploymentID          types.String   `tfsdk:"deployment_id"`
	ExecutionARN          types.String   `tfsdk:"execution_arn"`
	InvokeURL             types.String   `tfsdk:"invoke_url"`
	RedeploymentTrigger   types.String   `tfsdk:"redeployment_trigger"`
	GatewayResponses      types.Map      `tfsdk:"gateway_responses"`
	BinaryMediaTypes      types.List     `tfsdk:"binary_media_types"`
	IntegrationTimeout    types.Int64    `tfsdk:"integration_timeout_ms"`
	AggregatorTimeout     types.Int64    `tfsdk:"aggregator_timeout"`
	CORS                  types.Object   `tfsdk:"cors"`
	AccessLog             types.Object   `tfsdk:"access_log"`
	AccessLogGroupName    types.String   `tfsdk:"access_log_group_name"`
	Throttling            types.Object   `tfsdk:"throttling"`
	Tracing               types.Bool     `tfsdk:"tracing"`
	Tags                  types.Map      `tfsdk:"tags"`
	TagsAll               types.Map      `tfsdk:"tags_all"`
	Timeouts              timeouts.Value `tfsdk:"timeouts"`
}

// attached reports whether the model wires Portico into an existing REST API.
func (m *APIResourceModel) attached() bool { return !m.RestAPIID.IsNull() }

// NewAPIResource returns a portico_api resource.
func NewAPIResource() resource.Resource {
	return &APIResource{}
}

func (r *APIResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_api"
}

func (r *APIResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "The regional REST API (API Gateway v1) of Portico's request path: `ANY /` and " +
			"`ANY /{proxy+}` are authorized by a `REQUEST` Lambda authorizer named `portico` (identity source: the " +
			"`Authorization` header) and proxied (`AWS_PROXY`) to the aggregator function, then deployed to a stage. " +
			"Optionally customizes the gateway responses API Gateway answers with when it rejects a request itself.\n\n" +
			"With `name` the provider creates the REST API. With `rest_api_id` it wires Portico into a REST API that " +
			"already exists (for example an `aws_api_gateway_rest_api` of the hashicorp/aws provider): it adds the " +
			"authorizer, `/{proxy+}`, the two `ANY` methods and their integrations, and leaves the API, its other " +
			"resources, stages, domains and WAF associations to their owner; without `stage_name` it deploys nothing and " +
			"`redeployment_trigger` tells the owner's deployment when to redeploy.\n\n" +
			"Updates never leave a stage without the permissions it needs: a new function is allowed to be invoked before " +
			"the API uses it, the stage is redeployed, and only then is the old function's permission removed (once no stage " +
			"serves a deployment that uses it). A rename or a new stage name updates in place, keeping the API's id, " +
			"invoke URL and execution ARN. An apply interrupted half-way is remembered, and the next plan finishes it.",
		Blocks: map[string]schema.Block{"timeouts": apiTimeouts.block(ctx)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "REST API id.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"rest_api_id": schema.StringAttribute{
				MarkdownDescription: "Id of an existing REST API to wire Portico into, instead of creating one (`name`). " +
					"It must not have a `/{proxy+}` resource or an `ANY /` method yet. Changing it replaces the wiring.",
				Optional:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{restAPIIDValidator},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the REST API the provider creates; renaming it updates it in place. With " +
					"`rest_api_id`, leave it out: it is read from the existing API.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.LengthBetween(1, 1024)},
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
				MarkdownDescription: "Stage the provider deploys to. Defaults to `" + defaultStageName + "` for an API it creates; " +
					"with `rest_api_id` it defaults to none (the API's owner deploys, see `redeployment_trigger`). Changing it " +
					"deploys to the new stage first; for an API the provider created it then deletes the old stage.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stageNameValidator},
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
				MarkdownDescription: "Id of the deployment the stage serves (null without a stage). A change that needs a " +
					"deployment, or work an interrupted apply left, plans a new one.",
				Computed: true,
			},
			"execution_arn": schema.StringAttribute{
				MarkdownDescription: "Execution ARN of the API, `arn:aws:execute-api:<region>:<account>:<id>`, for Lambda permissions and IAM policies.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"invoke_url": schema.StringAttribute{
				MarkdownDescription: "URL of the stage (null without a stage). With an emulator `endpoint` it is `<endpoint>/_aws/execute-api/<id>/<stage>`; " +
					"otherwise `https://<id>.execute-api.<region>.amazonaws.com/<stage>`.",
				Computed: true,
			},
			"redeployment_trigger": schema.StringAttribute{
				MarkdownDescription: "A hash of everything Portico configures in the API that takes effect only with a deployment " +
					"(functions, authorizer cache, gateway responses), known at plan time. With `rest_api_id` and no `stage_name`, " +
					"give it to the owner's deployment: `triggers = { portico = portico_api.gateway.redeployment_trigger }` on an " +
					"`aws_api_gateway_deployment`.",
				Computed: true,
			},
			"gateway_responses": gatewayResponsesSchema(),
			"binary_media_types": schema.ListAttribute{
				MarkdownDescription: "Media types API Gateway treats as binary: request bodies of these types reach the aggregator " +
					"base64-encoded, and base64 answers (`isBase64Encoded`) reach clients as bytes. Defaults to `[\"*/*\"]`, the only " +
					"setting under which the gateway is transparent: gzip'd, image and other binary answers keep their bytes. (A client " +
					"that sends no `Accept` header then gets binary answers as base64 text: API Gateway converts only for a matching " +
					"`Accept`.) Read back (drift). Not with `rest_api_id`: the API's owner sets it there. Changes redeploy the stage.",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Validators: []validator.List{listvalidator.ValueStringsAre(stringvalidator.RegexMatches(mediaRangePattern,
					`must be a media type or range such as "*/*", "image/*" or "application/octet-stream"`))},
			},
			"integration_timeout_ms": schema.Int64Attribute{
				MarkdownDescription: "API Gateway's integration timeout for the aggregator, in milliseconds: 50 to 29000 (the default) " +
					"for every REST API; Regional and private REST APIs may go higher once AWS raised the account's quota " +
					"(\"Maximum integration timeout\"), up to Lambda's 900000. The aggregator must end sooner: with `aggregator_timeout` " +
					"(or the function's configuration, read at plan time) a function timeout that does not end at least 1 s before " +
					"this is refused at plan time, and `portico_route_table` refuses route timeouts that do not fit. Read back (drift). " +
					"Changes redeploy the stage.",
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultIntegrationTimeout),
				Validators: []validator.Int64{int64validator.Between(50, maxIntegrationTimeout)},
			},
			"aggregator_timeout": schema.Int64Attribute{
				MarkdownDescription: "The aggregator function's timeout in seconds (`portico_function.aggregator.timeout`), so " +
					"that the plan can check it against `integration_timeout_ms`: the function must end at least 1 s before API " +
					"Gateway gives up, or clients get API Gateway's `{\"message\":\"Endpoint request timed out\"}` while the function " +
					"keeps running. Without it the provider reads the function's configuration at plan time when the function exists.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, 900)},
			},
			"cors": corsSchema(),
			"tracing": schema.BoolAttribute{
				MarkdownDescription: "Active X-Ray tracing on the stage: API Gateway samples requests and passes the trace header to " +
					"the functions (turn on `portico_function.tracing` too). Defaults to false. Changed outside Terraform, it shows in " +
					"the plan.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"tags":     tagsAttribute(),
			"tags_all": tagsAllAttribute(),
		},
	}
	for k, v := range stageSchema() {
		resp.Schema.Attributes[k] = v
	}
}

func (r *APIResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	c := clientsFrom(req.ProviderData, &resp.Diagnostics)
	if c == nil {
		return
	}
	r.gw, r.lambda, r.sts = c.APIGateway, c.Lambda, c.STS
	r.region, r.endpoint, r.configured = c.Region, c.Endpoint, true
	r.tagsAPI, r.account, r.functions, r.defaults = c.APIGateway, c.APIGateway, c.Lambda, c.DefaultTags
	if c.Logs != nil {
		r.logs, r.logTags = c.Logs, logsTags{c.Logs}
	}
}

// ValidateConfig requires exactly one of name and rest_api_id.
func (r *APIResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var name, restAPIID types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("name"), &name)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("rest_api_id"), &restAPIID)...)
	if resp.Diagnostics.HasError() {
		return
	}
	switch {
	case name.IsNull() && restAPIID.IsNull():
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Missing REST API",
			"Give name, for a REST API the provider creates, or rest_api_id, to wire Portico into an existing one.")
	case !name.IsNull() && !restAPIID.IsNull():
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Conflicting REST API",
			"name is for a REST API the provider creates; with rest_api_id the existing API keeps its own name. Give one of them.")
	}
	var binary types.List
	var tags types.Map
	var stage types.String
	var tracing types.Bool
	var accessLog, throttling, corsObj types.Object
	for _, a := range []struct {
		name string
		dst  any
	}{{"binary_media_types", &binary}, {"tags", &tags}, {"stage_name", &stage}, {"tracing", &tracing},
		{"access_log", &accessLog}, {"throttling", &throttling}, {"cors", &corsObj}} {
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(a.name), a.dst)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if !restAPIID.IsNull() {
		if !binary.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("binary_media_types"), "Not with rest_api_id",
				"Binary media types belong to the whole REST API, so with rest_api_id they are its owner's to set: set "+
					"binary_media_types = [\"*/*\"] where the API is defined (aws_api_gateway_rest_api), the only setting under "+
					"which Portico passes binary and compressed bodies through intact.")
		}
		if !tags.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("tags"), "Not with rest_api_id",
				"With rest_api_id the REST API is its owner's: tag it where it is defined.")
		}
		if stage.IsNull() && (!accessLog.IsNull() || !throttling.IsNull() || tracing.ValueBool()) {
			resp.Diagnostics.AddAttributeError(path.Root("stage_name"), "Stage settings without a stage",
				"access_log, throttling and tracing are settings of the stage the provider deploys to: give stage_name, or set "+
					"them on the owner's stage.")
		}
	}
	if corsObj.IsUnknown() {
		return
	}
	corsCfg, err := objectModel[corsModel](ctx, corsObj)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("cors"), "Invalid CORS policy", err.Error())
		return
	}
	p, known, err := corsCfg.policy(ctx)
	switch {
	case err != nil:
		resp.Diagnostics.AddAttributeError(path.Root("cors"), "Invalid CORS policy", err.Error())
	case known && p != nil:
		if err := p.Validate(); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("cors"), "Invalid CORS policy", strings.TrimPrefix(err.Error(), "cors: invalid policy: "))
		} else if _, ok := p.Static(); !ok {
			resp.Diagnostics.AddAttributeWarning(path.Root("cors").AtName("allow_origins"), "API Gateway's own answers carry no CORS headers",
				"With several origins, API Gateway's gateway responses (401 without a token, 403, 429 from stage throttling, "+
					"5xx) cannot name the caller's origin, since they cannot vary by request; browsers then hide them from the "+
					"pages. The aggregator's own answers carry the headers for every allowed origin. Use one origin per API to "+
					"make those errors readable too.")
		}
	}
}

// mediaRangePattern matches a media type or range such as */*, image/* or
// application/octet-stream.
var mediaRangePattern = regexp.MustCompile(`^(\*/\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/(\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*))$`)

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

// callerIdentity asks STS who the provider runs as.
func callerIdentity(ctx context.Context, stsClient callerAPI) (caller, error) {
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

// deployExtras is the rest of what takes effect only with a deployment:
// binary media types, the integration timeout and the CORS policy (OPTIONS
// methods and the gateway responses' headers).
type deployExtras struct {
	BinaryMediaTypes []string     `json:"binary,omitempty"`
	TimeoutMs        int64        `json:"timeoutMs"`
	CORS             *cors.Policy `json:"cors,omitempty"`
}

// redeploymentTrigger hashes what Portico configures that takes effect only
// with a deployment. responses must be the complete, known configuration.
func redeploymentTrigger(authorizerFn, aggregatorFn string, ttl int64, responses map[string]gatewayResponse, extras deployExtras) string {
	b, _ := json.Marshal(struct {
		Wiring     int                        `json:"wiring"`
		Authorizer string                     `json:"authorizer"`
		Aggregator string                     `json:"aggregator"`
		TTL        int64                      `json:"ttl"`
		Responses  map[string]gatewayResponse `json:"responses"`
		Extras     deployExtras               `json:"extras"`
	}{2, authorizerFn, aggregatorFn, ttl, responses, extras})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// extrasOf are m's deployExtras; ok is false while part of them is unknown.
func extrasOf(ctx context.Context, m *APIResourceModel) (deployExtras, bool) {
	if !fullyKnownList(m.BinaryMediaTypes) || m.IntegrationTimeout.IsUnknown() {
		return deployExtras{}, false
	}
	if m.CORS.IsUnknown() {
		return deployExtras{}, false
	}
	p, known, err := m.corsCfg(ctx).policy(ctx)
	if !known || err != nil {
		return deployExtras{}, false
	}
	binary, err := listStrings(ctx, m.BinaryMediaTypes)
	if err != nil {
		return deployExtras{}, false
	}
	return deployExtras{BinaryMediaTypes: binary, TimeoutMs: m.IntegrationTimeout.ValueInt64(), CORS: p}, true
}

// triggerOf is m's redeployment trigger, or unknown when part of it is.
func triggerOf(ctx context.Context, m *APIResourceModel) types.String {
	if m.AuthorizerFunctionARN.IsUnknown() || m.AggregatorFunctionARN.IsUnknown() || m.AuthorizerTTL.IsUnknown() || !fullyKnown(m.GatewayResponses) {
		return types.StringUnknown()
	}
	responses, err := gatewayResponsesFrom(ctx, m.GatewayResponses)
	if err != nil {
		return types.StringUnknown()
	}
	extras, ok := extrasOf(ctx, m)
	if !ok {
		return types.StringUnknown()
	}
	return types.StringValue(redeploymentTrigger(m.AuthorizerFunctionARN.ValueString(), m.AggregatorFunctionARN.ValueString(),
		m.AuthorizerTTL.ValueInt64(), responses, extras))
}

// corsPolicy is m's CORS policy (nil without one or while unknown).
func (m *APIResourceModel) corsPolicy(ctx context.Context) *cors.Policy {
	p, known, err := m.corsCfg(ctx).policy(ctx)
	if !known || err != nil {
		return nil
	}
	return p
}

// fullyKnown reports whether a map holds no unknown value at any depth.
func fullyKnown(m types.Map) bool {
	if m.IsUnknown() {
		return false
	}
	v, err := m.ToTerraformValue(context.Background())
	return err == nil && v.IsFullyKnown()
}

// privateData is the provider's private state of a resource:
// *privatestate.ProviderData in the framework's requests and responses (an
// internal type), a map in the unit tests.
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// pendingWork is what an apply of portico_api still has to do when it stops
// half-way (a failed deployment, a timeout), kept in private state so that
// the next plan shows an update and the next apply finishes it.
type pendingWork struct {
	// Deploy: the API's configuration changed since the stage's deployment.
	Deploy bool `json:"deploy,omitempty"`
	// Revoke are permissions of functions the API no longer uses, removed
	// once every stage serves a deployment made after the change.
	Revoke []lambdaPermission `json:"revoke,omitempty"`
	// Stages are the deployments the API's stages served when its
	// configuration changed, by stage name.
	Stages map[string]string `json:"stages,omitempty"`
	// DeleteStage is a stage the API moved away from, deleted once the new
	// one is deployed.
	DeleteStage string `json:"deleteStage,omitempty"`
	// Repair says what a refresh found changed outside Terraform that no
	// attribute shows: a Lambda permission gone, CORS headers removed from a
	// gateway response, the stage's tags or access log format changed. The
	// next apply puts it back.
	Repair []string `json:"repair,omitempty"`
}

func (p pendingWork) empty() bool {
	return !p.Deploy && len(p.Revoke) == 0 && p.DeleteStage == "" && len(p.Repair) == 0
}

// describe says what p still has to do, for the plan's warning.
func (p pendingWork) describe() string {
	var parts []string
	if p.Deploy {
		parts = append(parts, "deploy the API's configuration to its stage")
	}
	for _, rv := range p.Revoke {
		parts = append(parts, fmt.Sprintf("remove the permission %s of %s, which the API no longer uses, once no stage serves a deployment that uses it", rv.StatementID, rv.Function))
	}
	if p.DeleteStage != "" {
		parts = append(parts, fmt.Sprintf("delete the stage %q the API moved away from", p.DeleteStage))
	}
	for _, rp := range p.Repair {
		parts = append(parts, "repair what changed outside Terraform: "+rp)
	}
	return strings.Join(parts, "; ")
}

func loadPending(ctx context.Context, priv privateData) (pendingWork, diag.Diagnostics) {
	var p pendingWork
	if priv == nil {
		return p, nil
	}
	b, diags := priv.GetKey(ctx, pendingKey)
	if diags.HasError() || len(b) == 0 {
		return p, diags
	}
	if err := json.Unmarshal(b, &p); err != nil {
		diags.AddWarning("Unreadable private state", fmt.Sprintf("The work an earlier apply left for portico_api cannot be read (%s); it is ignored.", err))
		return pendingWork{}, diags
	}
	return p, diags
}

func savePending(ctx context.Context, priv privateData, p pendingWork) diag.Diagnostics {
	if priv == nil {
		return nil
	}
	if p.empty() {
		return priv.SetKey(ctx, pendingKey, nil)
	}
	b, err := json.Marshal(p)
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("Cannot save private state", err.Error())
		return diags
	}
	return priv.SetKey(ctx, pendingKey, b)
}

// ModifyPlan fills in what the configuration does not say but the plan can
// know: the default stage, the name of an existing API, the invoke URL, the
// redeployment trigger; and plans a new deployment when a change needs one or
// an interrupted apply left work to finish.
func (r *APIResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config APIResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *APIResourceModel
	if !req.State.Raw.IsNull() {
		state = &APIResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	pending, diags := loadPending(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	planAPI(ctx, &plan, &config, state, pending, r.endpoint, r.region, r.configured)
	if state != nil && !pending.empty() {
		summary := "An earlier apply of portico_api did not finish"
		if len(pending.Repair) > 0 && !pending.Deploy && len(pending.Revoke) == 0 && pending.DeleteStage == "" {
			summary = "portico_api changed outside Terraform"
		}
		resp.Diagnostics.AddWarning(summary, fmt.Sprintf("REST API %s: this apply will %s.", state.ID.ValueString(), pending.describe()))
	}
	r.checkTimeouts(ctx, &plan, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if plan.attached() {
		// The owner's API: the provider tags neither it nor its stage.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("tags_all"), types.MapNull(types.StringType))...)
		return
	}
	modifyPlanTags(ctx, req, resp, r.defaults)
}

// checkTimeouts refuses an aggregator timeout that does not end at least
// functionMargin before API Gateway's integration timeout: the aggregator
// must answer (its own 504 at worst) before API Gateway gives up on it.
// The function's timeout is aggregator_timeout, or its configuration read
// from Lambda when the function exists.
func (r *APIResource) checkTimeouts(ctx context.Context, plan *APIResourceModel, diags *diag.Diagnostics) {
	if plan.IntegrationTimeout.IsUnknown() || plan.IntegrationTimeout.IsNull() {
		return
	}
	seconds, where := plan.AggregatorTimeout, path.Root("aggregator_timeout")
	if seconds.IsUnknown() {
		return
	}
	if seconds.IsNull() {
		if r.functions == nil || plan.AggregatorFunctionARN.IsUnknown() || plan.AggregatorFunctionARN.IsNull() {
			return
		}
		out, err := r.functions.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(plan.AggregatorFunctionARN.ValueString())})
		if err != nil {
			tflog.Debug(ctx, "aggregator timeout not checked: cannot read the function", map[string]any{"error": err.Error()})
			return
		}
		seconds, where = types.Int64Value(int64(aws.ToInt32(out.Timeout))), path.Root("aggregator_function_arn")
	}
	if err := fitsIntegration(seconds.ValueInt64(), plan.IntegrationTimeout.ValueInt64()); err != nil {
		diags.AddAttributeError(where, "Aggregator timeout does not fit API Gateway's", err.Error())
	}
}

// fitsIntegration refuses a function timeout (seconds) that does not end
// functionMargin before the integration timeout (milliseconds).
func fitsIntegration(functionSeconds, integrationMs int64) error {
	fn := time.Duration(functionSeconds) * time.Second
	limit := time.Duration(integrationMs) * time.Millisecond
	if fn+functionMargin <= limit {
		return nil
	}
	return fmt.Errorf("the aggregator's timeout is %s and API Gateway's integration timeout is %s: the function must end at "+
		"least %s sooner, or API Gateway answers {\"message\":\"Endpoint request timed out\"} while the function keeps running. "+
		"Set the function's timeout to at most %d s, or raise integration_timeout_ms (Regional REST APIs may exceed 29000 once "+
		"AWS raised the account's quota)", fn, limit, functionMargin, int64((limit-functionMargin)/time.Second))
}

// planAPI is ModifyPlan's logic on models: state is nil for a create.
func planAPI(ctx context.Context, plan, config, state *APIResourceModel, pending pendingWork, endpoint, region string, configured bool) {
	attached := plan.attached()
	if attached {
		plan.Name = types.StringUnknown()
		if state != nil && plan.RestAPIID.Equal(state.RestAPIID) {
			plan.Name = state.Name
		}
	}
	if config.StageName.IsNull() {
		if attached {
			plan.StageName = types.StringNull()
		} else {
			plan.StageName = types.StringValue(defaultStageName)
		}
	}
	if config.BinaryMediaTypes.IsNull() {
		if attached {
			plan.BinaryMediaTypes = types.ListNull(types.StringType)
		} else {
			plan.BinaryMediaTypes = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("*/*")})
		}
	}
	plan.RedeploymentTrigger = triggerOf(ctx, plan)

	apiID := types.StringUnknown()
	switch {
	case state != nil && !state.ID.IsNull():
		apiID = state.ID
	case attached && !plan.RestAPIID.IsUnknown():
		apiID = plan.RestAPIID
	}
	switch {
	case plan.StageName.IsNull():
		plan.InvokeURL = types.StringNull()
	case apiID.IsUnknown() || plan.StageName.IsUnknown() || !configured:
		plan.InvokeURL = types.StringUnknown()
	default:
		plan.InvokeURL = types.StringValue(invokeURL(endpoint, region, apiID.ValueString(), plan.StageName.ValueString()))
	}
	switch {
	case plan.AccessLog.IsNull() || plan.StageName.IsNull():
		plan.AccessLogGroupName = types.StringNull()
	case plan.AccessLog.IsUnknown() || apiID.IsUnknown() || plan.StageName.IsUnknown():
		plan.AccessLogGroupName = types.StringUnknown()
	default:
		plan.AccessLogGroupName = types.StringValue(accessLogGroup(apiID.ValueString(), plan.StageName.ValueString()))
	}

	switch {
	case state == nil:
		if plan.StageName.IsNull() {
			plan.DeploymentID = types.StringNull()
		} else {
			plan.DeploymentID = types.StringUnknown()
		}
	case !pending.empty() || plan.RedeploymentTrigger.IsUnknown() || !plan.RedeploymentTrigger.Equal(state.RedeploymentTrigger) ||
		!plan.StageName.Equal(state.StageName):
		if plan.StageName.IsNull() && pending.empty() {
			plan.DeploymentID = types.StringNull()
		} else {
			plan.DeploymentID = types.StringUnknown()
		}
	default:
		plan.DeploymentID = state.DeploymentID
	}
}

// nullUnknowns replaces the unknown computed values of a half-built API with
// nulls, so that it can be saved as tainted.
func (m *APIResourceModel) nullUnknowns() {
	nullUnknowns(&m.TagsAll, &m.ID, &m.Name, &m.StageName, &m.RootResourceID, &m.ProxyResourceID, &m.AuthorizerID,
		&m.DeploymentID, &m.ExecutionARN, &m.InvokeURL, &m.RedeploymentTrigger, &m.AccessLogGroupName)
	if m.BinaryMediaTypes.IsUnknown() {
		m.BinaryMediaTypes = types.ListNull(types.StringType)
	}
}

// functions are the model's functions by role.
func (m *APIResourceModel) functions() map[string]string {
	return map[string]string{"authorizer": m.AuthorizerFunctionARN.ValueString(), "aggregator": m.AggregatorFunctionARN.ValueString()}
}

// sourceARN is the source of the API's invocations of its functions: any
// stage, method and path.
func sourceARN(who caller, region, apiID string) string {
	return who.executionARN(region, apiID) + "/*"
}

func (r *APIResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data APIResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opCreate, apiTimeouts, &resp.Diagnostics)
	defer cancel()
	what := data.Name.ValueString()
	if data.attached() {
		what = data.RestAPIID.ValueString()
	}
	who, err := callerIdentity(ctx, r.sts)
	if err != nil {
		addAWSError(&resp.Diagnostics, "find the AWS account for", "REST API", what, err)
		return
	}

	var rootID string
	if data.attached() {
		apiID := data.RestAPIID.ValueString()
		rootID, err = r.checkAttachable(ctx, &data)
		if err != nil {
			addAWSError(&resp.Diagnostics, "wire Portico into", "REST API", apiID, err)
			return
		}
		data.ID = types.StringValue(apiID)
	} else {
		tflog.Info(ctx, "creating REST API", map[string]any{"name": what})
		binary, err := listStrings(ctx, data.BinaryMediaTypes)
		if err != nil {
			resp.Diagnostics.AddError("Invalid binary_media_types", err.Error())
			return
		}
		tags, err := wantedTags(ctx, r.defaults, data.Tags)
		if err != nil {
			resp.Diagnostics.AddError("Invalid tags", err.Error())
			return
		}
		api, err := r.gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{
			Name:                  aws.String(what),
			EndpointConfiguration: &apigwtypes.EndpointConfiguration{Types: []apigwtypes.EndpointType{apigwtypes.EndpointTypeRegional}},
			BinaryMediaTypes:      binary,
			Tags:                  nonEmpty(tags),
		})
		if err != nil {
			addAWSError(&resp.Diagnostics, "create", "REST API", what, err)
			return
		}
		data.ID = types.StringValue(aws.ToString(api.Id))
		rootID = aws.ToString(api.RootResourceId)
	}
	data.ExecutionARN = types.StringValue(who.executionARN(r.region, data.ID.ValueString()))

	// From here on Portico's parts exist: on failure, save what was built so
	// that Terraform marks it tainted and destroys it, rather than leaking it.
	if err := r.build(ctx, &data, who, rootID); err != nil {
		addAWSError(&resp.Diagnostics, "set up", "REST API", what, err)
		data.nullUnknowns()
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	data.nullUnknowns()
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// tagsOf are the tags m's API and stage should have (none with rest_api_id).
func (r *APIResource) tagsOf(ctx context.Context, m *APIResourceModel) (map[string]string, error) {
	if m.attached() {
		return nil, nil
	}
	return wantedTags(ctx, r.defaults, m.Tags)
}

// finishStage configures the stage and records the tags the API and stage
// have now.
func (r *APIResource) finishStage(ctx context.Context, data *APIResourceModel) error {
	tags, err := r.tagsOf(ctx, data)
	if err != nil {
		return err
	}
	if err := r.configureStage(ctx, data, tags); err != nil {
		return err
	}
	data.TagsAll = types.MapNull(types.StringType)
	if r.tagsAPI != nil && !data.attached() {
		v, diags := types.MapValueFrom(ctx, types.StringType, tags)
		if diags.HasError() {
			return fmt.Errorf("convert tags: %v", diags)
		}
		data.TagsAll = v
	}
	return nil
}

// checkAttachable reads the existing API data.RestAPIID, refuses one where
// Portico's resource or root method would collide with the owner's, and
// returns its root resource id.
func (r *APIResource) checkAttachable(ctx context.Context, data *APIResourceModel) (string, error) {
	apiID := data.RestAPIID.ValueString()
	api, err := r.gw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)})
	if err != nil {
		return "", fmt.Errorf("get REST API: %w", err)
	}
	data.Name = types.StringValue(aws.ToString(api.Name))
	root, proxy, err := r.resourceIDs(ctx, apiID)
	if err != nil {
		return "", err
	}
	if proxy != "" {
		return "", fmt.Errorf("the API already has a %s resource (%s); Portico routes every path through its own, so remove it first", proxyPath, proxy)
	}
	_, err = r.gw.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String(root), HttpMethod: aws.String(anyMethod)})
	switch {
	case err == nil:
		return "", fmt.Errorf("the API already has an ANY / method; Portico serves the root path through the aggregator, so remove it first")
	case !isNotFound(err):
		return "", fmt.Errorf("get method ANY /: %w", err)
	}
	return root, nil
}

// build creates the resources, authorizer, methods, integrations, permissions
// and deployment of Portico in API data.ID, filling in data's computed ids.
func (r *APIResource) build(ctx context.Context, data *APIResourceModel, who caller, rootID string) error {
	gw := r.gw
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

	// The functions may be invoked before anything points at them.
	for _, p := range apiPermissions(apiID, sourceARN(who, r.region, apiID), data.functions()) {
		if err := grantPermission(ctx, r.lambda, p); err != nil {
			return err
		}
	}

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
		if err := r.putIntegration(ctx, apiID, res.id, anyMethod, data.AggregatorFunctionARN.ValueString(), data.IntegrationTimeout.ValueInt64()); err != nil {
			return fmt.Errorf("put integration ANY %s: %w", res.path, err)
		}
	}
	if data.hasCORS() {
		if err := r.putPreflightMethods(ctx, data); err != nil {
			return err
		}
	}

	// Gateway responses take effect with the deployment that follows.
	responses, err := gatewayResponsesFrom(ctx, data.GatewayResponses)
	if err != nil {
		return err
	}
	effective := effectiveResponses(responses, data.corsPolicy(ctx))
	put, _ := diffGatewayResponses(nil, effective)
	if err := r.putGatewayResponses(ctx, apiID, effective, put); err != nil {
		return err
	}
	extras, _ := extrasOf(ctx, data)
	data.RedeploymentTrigger = types.StringValue(redeploymentTrigger(data.AuthorizerFunctionARN.ValueString(),
		data.AggregatorFunctionARN.ValueString(), data.AuthorizerTTL.ValueInt64(), responses, extras))
	data.DeploymentID = types.StringNull()
	data.InvokeURL = types.StringNull()
	if !data.StageName.IsNull() {
		data.InvokeURL = types.StringValue(invokeURL(r.endpoint, r.region, apiID, data.StageName.ValueString()))
		if err := r.deploy(ctx, data); err != nil {
			return err
		}
	}
	return r.finishStage(ctx, data)
}

// putIntegration proxies method on the resource to the function (AWS_PROXY),
// with API Gateway's integration timeout.
func (r *APIResource) putIntegration(ctx context.Context, apiID, resourceID, method, functionARN string, timeoutMs int64) error {
	uri, err := lambdaInvokeARN(functionARN)
	if err != nil {
		return err
	}
	if timeoutMs == 0 {
		timeoutMs = defaultIntegrationTimeout
	}
	_, err = r.gw.PutIntegration(ctx, &apigateway.PutIntegrationInput{
		RestApiId:             aws.String(apiID),
		ResourceId:            aws.String(resourceID),
		HttpMethod:            aws.String(method),
		Type:                  apigwtypes.IntegrationTypeAwsProxy,
		IntegrationHttpMethod: aws.String("POST"),
		Uri:                   aws.String(uri),
		TimeoutInMillis:       aws.Int32(int32(timeoutMs)),
	})
	return err
}

// deploy makes a new deployment of the API and points the stage at it (a
// new stage is created).
func (r *APIResource) deploy(ctx context.Context, data *APIResourceModel) error {
	tflog.Info(ctx, "deploying REST API", map[string]any{"api_id": data.ID.ValueString(), "stage": data.StageName.ValueString()})
	out, err := r.gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{
		RestApiId:   aws.String(data.ID.ValueString()),
		StageName:   aws.String(data.StageName.ValueString()),
		Description: aws.String(deploymentDescription),
	})
	if err != nil {
		return fmt.Errorf("deploy to stage %s: %w", data.StageName.ValueString(), err)
	}
	data.DeploymentID = types.StringValue(aws.ToString(out.Id))
	return nil
}

// resourceIDs finds the ids of "/" and "/{proxy+}" ("" when missing).
func (r *APIResource) resourceIDs(ctx context.Context, apiID string) (root, proxy string, err error) {
	p := apigateway.NewGetResourcesPaginator(r.gw, &apigateway.GetResourcesInput{
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

// stageDeployments are the deployments the API's stages serve, by stage.
func (r *APIResource) stageDeployments(ctx context.Context, apiID string) (map[string]string, error) {
	out, err := r.gw.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: aws.String(apiID)})
	if err != nil {
		return nil, fmt.Errorf("list stages: %w", err)
	}
	m := make(map[string]string, len(out.Item))
	for _, s := range out.Item {
		m[aws.ToString(s.StageName)] = aws.ToString(s.DeploymentId)
	}
	return m, nil
}

// read refreshes data from AWS. It returns found=false when the API is gone.
// It adds warnings to warn for parts deleted outside Terraform.
func (r *APIResource) read(ctx context.Context, data *APIResourceModel, warn func(summary, detail string)) (found bool, err error) {
	var repair []string
	return r.refresh(ctx, data, warn, &repair)
}

// refresh is read that also adds to repair what changed outside Terraform
// that no attribute shows (see pendingWork.Repair).
func (r *APIResource) refresh(ctx context.Context, data *APIResourceModel, warn func(summary, detail string), repair *[]string) (found bool, err error) {
	gw := r.gw
	apiID := data.ID.ValueString()
	imported := data.AuthorizerID.IsNull()
	api, err := gw.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	data.Name = types.StringValue(aws.ToString(api.Name))
	if data.attached() {
		data.BinaryMediaTypes = types.ListNull(types.StringType)
		data.Tags, data.TagsAll = typedMap(data.Tags), types.MapNull(types.StringType)
	} else {
		binary, diags := types.ListValueFrom(ctx, types.StringType, append([]string{}, api.BinaryMediaTypes...))
		if diags.HasError() {
			return true, fmt.Errorf("convert binary media types: %v", diags)
		}
		data.BinaryMediaTypes = binary
		if r.tagsAPI != nil {
			data.Tags = typedMap(data.Tags)
			if err := readTags(ctx, apigwTags{r.tagsAPI}, r.restAPIARN(apiID), r.defaults, &data.Tags, &data.TagsAll); err != nil {
				return true, err
			}
		} else {
			data.Tags, data.TagsAll = typedMap(data.Tags), types.MapNull(types.StringType)
		}
	}

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
		timeout := int64(integ.TimeoutInMillis)
		if timeout == 0 {
			timeout = defaultIntegrationTimeout
		}
		data.IntegrationTimeout = types.Int64Value(timeout)
	}
	if data.IntegrationTimeout.IsNull() || data.IntegrationTimeout.IsUnknown() {
		data.IntegrationTimeout = types.Int64Value(defaultIntegrationTimeout)
	}
	if data.hasCORS() {
		_, err := gw.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String(root), HttpMethod: aws.String(optionsMethod)})
		switch {
		case isNotFound(err):
			*repair = append(*repair, "the CORS preflight method OPTIONS / is gone")
		case err != nil:
			return true, fmt.Errorf("get method OPTIONS /: %w", err)
		}
	}

	if err := r.readGatewayResponses(ctx, data, imported, repair); err != nil {
		return true, err
	}
	if err := r.readStage(ctx, data, imported, warn, repair); err != nil {
		return true, err
	}
	data.RedeploymentTrigger = triggerOf(ctx, data)
	if data.RedeploymentTrigger.IsUnknown() {
		data.RedeploymentTrigger = types.StringNull()
	}

	who, err := callerIdentity(ctx, r.sts)
	if err != nil {
		return true, err
	}
	data.ExecutionARN = types.StringValue(who.executionARN(r.region, apiID))
	// A function replaced under the same name has lost the statements that
	// let API Gateway invoke it: every request would get 500.
	for _, p := range apiPermissions(apiID, sourceARN(who, r.region, apiID), data.functions()) {
		ok, err := hasStatement(ctx, r.lambda, p)
		if err != nil {
			return true, fmt.Errorf("read the resource policy of %s: %w", p.Function, err)
		}
		if !ok {
			*repair = append(*repair, fmt.Sprintf("the permission %s that lets API Gateway invoke %s is gone", p.StatementID, p.Function))
		}
	}
	if data.StageName.IsNull() {
		data.InvokeURL = types.StringNull()
	} else {
		data.InvokeURL = types.StringValue(invokeURL(r.endpoint, r.region, apiID, data.StageName.ValueString()))
	}
	return true, nil
}

// readStage refreshes the stage and its deployment. After an import the
// stage is found: for an API the provider created, the only stage, else
// "v1", else the first by name; for an existing API, the stage whose
// deployment portico_api made, if any.
func (r *APIResource) readStage(ctx context.Context, data *APIResourceModel, imported bool, warn func(summary, detail string), repair *[]string) error {
	gw := r.gw
	apiID := data.ID.ValueString()
	if stage := data.StageName.ValueString(); stage != "" {
		out, err := gw.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage)})
		if isNotFound(err) {
			warn("Stage missing", fmt.Sprintf("Stage %q of REST API %s was deleted outside Terraform; the next apply deploys it again.", stage, apiID))
			data.StageName = types.StringNull()
			data.DeploymentID = types.StringNull()
			data.AccessLogGroupName = types.StringNull()
			return nil
		}
		if err != nil {
			return fmt.Errorf("get stage %s: %w", stage, err)
		}
		data.DeploymentID = types.StringValue(aws.ToString(out.DeploymentId))
		if err := r.readStageSettings(ctx, data, out, repair); err != nil {
			return err
		}
		if r.tagsAPI != nil && !data.attached() {
			want, _ := mapStrings(ctx, data.TagsAll)
			have, err := (apigwTags{r.tagsAPI}).listTags(ctx, r.stageARN(apiID, stage))
			if err != nil {
				return fmt.Errorf("read the tags of stage %s: %w", stage, err)
			}
			if !maps.Equal(visibleTags(have), want) {
				*repair = append(*repair, fmt.Sprintf("the tags of stage %s differ from the API's", stage))
			}
		}
		return nil
	}
	data.AccessLogGroupName = types.StringNull()
	if !imported {
		data.DeploymentID = types.StringNull()
		return nil
	}
	deployments, err := r.stageDeployments(ctx, apiID)
	if err != nil {
		return err
	}
	stage := ""
	if data.attached() {
		var ours []string
		for name, id := range deployments {
			d, err := gw.GetDeployment(ctx, &apigateway.GetDeploymentInput{RestApiId: aws.String(apiID), DeploymentId: aws.String(id)})
			if err == nil && aws.ToString(d.Description) == deploymentDescription {
				ours = append(ours, name)
			}
		}
		if len(ours) == 1 {
			stage = ours[0]
		}
	} else {
		names := make([]string, 0, len(deployments))
		for name := range deployments {
			names = append(names, name)
		}
		stage = pickStage(names)
	}
	data.StageName = types.StringPointerValue(stringOrNil(stage))
	data.DeploymentID = types.StringPointerValue(stringOrNil(deployments[stage]))
	if stage == "" {
		data.Tracing = types.BoolValue(false)
		return nil
	}
	out, err := gw.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage)})
	if err != nil {
		return fmt.Errorf("get stage %s: %w", stage, err)
	}
	return r.readStageSettings(ctx, data, out, repair)
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
	var repair []string
	found, err := r.refresh(ctx, &data, resp.Diagnostics.AddWarning, &repair)
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "REST API", data.ID.ValueString(), err)
		return
	}
	if !found {
		tflog.Warn(ctx, "REST API is gone, removing it from state", map[string]any{"id": data.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	pending, diags := loadPending(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	pending.Repair = repair
	resp.Diagnostics.Append(savePending(ctx, resp.Private, pending)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *APIResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state APIResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, plan.Timeouts, opUpdate, apiTimeouts, &resp.Diagnostics)
	defer cancel()
	resp.Diagnostics.Append(r.update(ctx, &plan, &state, resp.Private)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// update changes the API from state to plan in the order that keeps every
// stage working: grant the permissions the plan's functions need, change the
// API (name, authorizer, integrations, gateway responses), deploy, and only
// then revoke the permissions of functions no stage uses any more and delete
// a stage the API moved away from. What is left to do is kept in priv after
// every step, so that an apply that stops half-way is finished by the next.
func (r *APIResource) update(ctx context.Context, plan, state *APIResourceModel, priv privateData) (diags diag.Diagnostics) {
	apiID := state.ID.ValueString()
	name := plan.Name.ValueString()
	fail := func(err error) diag.Diagnostics {
		addAWSError(&diags, "update", "REST API", name, err)
		return diags
	}
	if state.AuthorizerID.IsNull() {
		return fail(fmt.Errorf("the %q authorizer was deleted outside Terraform; replace the API with terraform apply -replace", authorizerName))
	}
	pending, dd := loadPending(ctx, priv)
	if diags.Append(dd...); diags.HasError() {
		return diags
	}
	save := func() bool {
		diags.Append(savePending(ctx, priv, pending)...)
		return !diags.HasError()
	}
	who, err := callerIdentity(ctx, r.sts)
	if err != nil {
		return fail(err)
	}
	source := sourceARN(who, r.region, apiID)
	want := apiPermissions(apiID, source, plan.functions())
	had := append(apiPermissions(apiID, source, state.functions()), pending.Revoke...)
	grant, revoke := permissionChanges(want, had)

	plan.RedeploymentTrigger = triggerOf(ctx, plan)
	configChanged := !plan.RedeploymentTrigger.Equal(state.RedeploymentTrigger)
	if configChanged || len(revoke) > 0 {
		// The stages serve what they serve now until they are redeployed.
		if pending.Stages == nil {
			if pending.Stages, err = r.stageDeployments(ctx, apiID); err != nil {
				return fail(err)
			}
		}
	}
	pending.Deploy = pending.Deploy || configChanged || !plan.StageName.Equal(state.StageName) || len(pending.Repair) > 0
	pending.Revoke = revoke
	if !state.StageName.IsNull() && !plan.StageName.Equal(state.StageName) && !plan.attached() {
		pending.DeleteStage = state.StageName.ValueString()
	}
	if !save() {
		return diags
	}

	// 1. The functions the plan uses may be invoked before the API uses them.
	for _, p := range grant {
		if err := grantPermission(ctx, r.lambda, p); err != nil {
			return fail(err)
		}
	}

	// 2. The API's configuration, which reaches callers with a deployment.
	if !plan.attached() {
		var ops []apigwtypes.PatchOperation
		if !plan.Name.Equal(state.Name) {
			tflog.Info(ctx, "renaming REST API", map[string]any{"api_id": apiID, "name": name})
			ops = append(ops, apigwtypes.PatchOperation{Op: apigwtypes.OpReplace, Path: aws.String("/name"), Value: aws.String(name)})
		}
		have, _ := listStrings(ctx, state.BinaryMediaTypes)
		want, err := listStrings(ctx, plan.BinaryMediaTypes)
		if err != nil {
			return fail(err)
		}
		ops = append(ops, binaryMediaTypesPatch(have, want)...)
		if len(ops) > 0 {
			if _, err := r.gw.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: aws.String(apiID), PatchOperations: ops}); err != nil {
				return fail(fmt.Errorf("update REST API: %w", err))
			}
		}
		if r.tagsAPI != nil && !plan.TagsAll.Equal(state.TagsAll) {
			if _, err := applyTags(ctx, apigwTags{r.tagsAPI}, r.restAPIARN(apiID), r.defaults, plan.Tags, state.TagsAll); err != nil {
				return fail(fmt.Errorf("tag REST API: %w", err))
			}
		}
	}
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
			return fail(err)
		}
		patch = append(patch, apigwtypes.PatchOperation{Op: apigwtypes.OpReplace, Path: aws.String("/authorizerUri"), Value: aws.String(uri)})
	}
	if len(patch) > 0 {
		tflog.Info(ctx, "updating authorizer", map[string]any{"api_id": apiID, "authorizer_id": state.AuthorizerID.ValueString()})
		if _, err := r.gw.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{
			RestApiId: aws.String(apiID), AuthorizerId: aws.String(state.AuthorizerID.ValueString()), PatchOperations: patch,
		}); err != nil {
			return fail(fmt.Errorf("update authorizer: %w", err))
		}
	}
	integrationChanged := !plan.AggregatorFunctionARN.Equal(state.AggregatorFunctionARN) || !plan.IntegrationTimeout.Equal(state.IntegrationTimeout)
	if integrationChanged {
		for _, id := range []string{state.RootResourceID.ValueString(), state.ProxyResourceID.ValueString()} {
			if id == "" {
				continue
			}
			if err := r.putIntegration(ctx, apiID, id, anyMethod, plan.AggregatorFunctionARN.ValueString(), plan.IntegrationTimeout.ValueInt64()); err != nil {
				return fail(fmt.Errorf("put integration on resource %s: %w", id, err))
			}
		}
	}
	withIDs := *plan
	withIDs.ID, withIDs.RootResourceID, withIDs.ProxyResourceID = state.ID, state.RootResourceID, state.ProxyResourceID
	switch {
	case plan.hasCORS() && (!state.hasCORS() || integrationChanged || len(pending.Repair) > 0):
		if err := r.putPreflightMethods(ctx, &withIDs); err != nil {
			return fail(err)
		}
	case !plan.hasCORS() && state.hasCORS():
		if err := r.deletePreflightMethods(ctx, &withIDs); err != nil {
			return fail(err)
		}
	}
	have, err := gatewayResponsesFrom(ctx, state.GatewayResponses)
	if err != nil {
		return fail(err)
	}
	wantResponses, err := gatewayResponsesFrom(ctx, plan.GatewayResponses)
	if err != nil {
		return fail(err)
	}
	have, wantResponses = effectiveResponses(have, state.corsPolicy(ctx)), effectiveResponses(wantResponses, plan.corsPolicy(ctx))
	put, del := diffGatewayResponses(have, wantResponses)
	if len(pending.Repair) > 0 {
		// What changed outside Terraform is not in the state: put them all.
		put, _ = diffGatewayResponses(nil, wantResponses)
	}
	if err := r.deleteGatewayResponses(ctx, apiID, del); err != nil {
		return fail(err)
	}
	if err := r.putGatewayResponses(ctx, apiID, wantResponses, put); err != nil {
		return fail(err)
	}

	// 3. Deploy: the stage switches to the new configuration at once.
	plan.ID, plan.DeploymentID = state.ID, state.DeploymentID
	if plan.StageName.IsNull() {
		plan.DeploymentID = types.StringNull()
	} else if pending.Deploy {
		if err := r.deploy(ctx, plan); err != nil {
			return fail(err)
		}
	}
	pending.Deploy = false
	if !save() {
		return diags
	}
	if state.accessLogCfg(ctx) != nil && (plan.accessLogCfg(ctx) == nil || !plan.StageName.Equal(state.StageName)) {
		if err := r.dropStageLog(ctx, state.AccessLogGroupName); err != nil {
			return fail(err)
		}
	}
	if err := r.finishStage(ctx, plan); err != nil {
		return fail(err)
	}
	pending.Repair = nil
	if !save() {
		return diags
	}
	if pending.DeleteStage != "" {
		tflog.Info(ctx, "deleting the stage the API moved away from", map[string]any{"api_id": apiID, "stage": pending.DeleteStage})
		if _, err := r.gw.DeleteStage(ctx, &apigateway.DeleteStageInput{RestApiId: aws.String(apiID), StageName: aws.String(pending.DeleteStage)}); err != nil && !isNotFound(err) {
			return fail(fmt.Errorf("delete stage %s: %w", pending.DeleteStage, err))
		}
		pending.DeleteStage = ""
		if !save() {
			return diags
		}
	}

	// 4. Revoke what no stage uses any more.
	if len(pending.Revoke) > 0 {
		moved, err := r.stagesMovedOn(ctx, apiID, pending.Stages)
		if err != nil {
			return fail(err)
		}
		if !moved {
			diags.AddWarning("Old function permissions kept",
				fmt.Sprintf("A stage of REST API %s still serves a deployment made before this change, which may invoke the functions "+
					"the API no longer uses; their permissions stay until every stage is redeployed (give redeployment_trigger to "+
					"the deployment that serves it), and the next apply removes them.", apiID))
		} else {
			for len(pending.Revoke) > 0 {
				if err := revokePermission(ctx, r.lambda, pending.Revoke[0]); err != nil {
					return fail(err)
				}
				pending.Revoke = pending.Revoke[1:]
				if !save() {
					return diags
				}
			}
		}
	}
	if len(pending.Revoke) == 0 {
		pending.Stages = nil
	}
	if !save() {
		return diags
	}

	found, err := r.read(ctx, plan, func(string, string) {})
	if err != nil {
		return fail(err)
	}
	if !found {
		return fail(fmt.Errorf("REST API %s disappeared during the update", apiID))
	}
	return diags
}

// stagesMovedOn reports whether every stage that served a deployment in
// before now serves another one (or is gone).
func (r *APIResource) stagesMovedOn(ctx context.Context, apiID string, before map[string]string) (bool, error) {
	now, err := r.stageDeployments(ctx, apiID)
	if err != nil {
		return false, err
	}
	for stage, id := range before {
		if cur, ok := now[stage]; ok && cur == id {
			return false, nil
		}
	}
	return true, nil
}

func (r *APIResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data APIResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, data.Timeouts, opDelete, apiTimeouts, &resp.Diagnostics)
	defer cancel()
	apiID := data.ID.ValueString()
	if data.attached() {
		if err := r.detach(ctx, &data); err != nil {
			addAWSError(&resp.Diagnostics, "remove Portico from", "REST API", apiID, err)
			return
		}
	} else {
		tflog.Info(ctx, "deleting REST API", map[string]any{"id": apiID})
		_, err := r.gw.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: aws.String(apiID)})
		if err != nil && !isNotFound(err) {
			addAWSError(&resp.Diagnostics, "delete", "REST API", apiID, err)
			return
		}
	}
	if err := r.dropStageLog(ctx, data.AccessLogGroupName); err != nil {
		addAWSError(&resp.Diagnostics, "delete the access log of", "REST API", apiID, err)
		return
	}
	// The API no longer invokes the functions.
	pending, diags := loadPending(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	perms := append(apiPermissions(apiID, "", data.functions()), pending.Revoke...)
	for _, p := range perms {
		if err := revokePermission(ctx, r.lambda, p); err != nil {
			addAWSError(&resp.Diagnostics, "delete", "REST API", apiID, err)
			return
		}
	}
}

// detach removes what Portico added to an existing API: the methods and
// integrations, /{proxy+}, the authorizer and the gateway responses it set.
// The API, its stages and its other resources stay; its stages serve their
// deployments until the owner redeploys.
func (r *APIResource) detach(ctx context.Context, data *APIResourceModel) error {
	apiID := aws.String(data.ID.ValueString())
	if root := data.RootResourceID.ValueString(); root != "" {
		if _, err := r.gw.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: apiID, ResourceId: aws.String(root), HttpMethod: aws.String(anyMethod)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete method ANY /: %w", err)
		}
		if data.hasCORS() {
			if _, err := r.gw.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: apiID, ResourceId: aws.String(root), HttpMethod: aws.String(optionsMethod)}); err != nil && !isNotFound(err) {
				return fmt.Errorf("delete method OPTIONS /: %w", err)
			}
		}
	}
	if proxy := data.ProxyResourceID.ValueString(); proxy != "" {
		if _, err := r.gw.DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: apiID, ResourceId: aws.String(proxy)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete resource %s: %w", proxyPath, err)
		}
	}
	if auth := data.AuthorizerID.ValueString(); auth != "" {
		if _, err := r.gw.DeleteAuthorizer(ctx, &apigateway.DeleteAuthorizerInput{RestApiId: apiID, AuthorizerId: aws.String(auth)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete authorizer: %w", err)
		}
	}
	responses, err := gatewayResponsesFrom(ctx, data.GatewayResponses)
	if err != nil {
		return err
	}
	_, del := diffGatewayResponses(effectiveResponses(responses, data.corsPolicy(ctx)), nil)
	return r.deleteGatewayResponses(ctx, data.ID.ValueString(), del)
}

// ImportState takes the id of a REST API the provider created, or
// existing/<id> for Portico wired into an existing API.
func (r *APIResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, attached := strings.CutPrefix(req.ID, importExistingPrefix)
	if id == "" || strings.Contains(id, "/") {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("import ID %q: want <rest_api_id> for an API portico_api created, "+
			"or %s<rest_api_id> for Portico wired into an existing API (rest_api_id)", req.ID, importExistingPrefix))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	if attached {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("rest_api_id"), id)...)
	}
}

// binaryMediaTypesPatch is the UpdateRestApi patch that turns the binary
// media types have into want.
func binaryMediaTypesPatch(have, want []string) []apigwtypes.PatchOperation {
	var ops []apigwtypes.PatchOperation
	escape := strings.NewReplacer("~", "~0", "/", "~1").Replace
	for _, t := range have {
		if !slices.Contains(want, t) {
			ops = append(ops, apigwtypes.PatchOperation{Op: apigwtypes.OpRemove, Path: aws.String("/binaryMediaTypes/" + escape(t))})
		}
	}
	for _, t := range want {
		if !slices.Contains(have, t) {
			ops = append(ops, apigwtypes.PatchOperation{Op: apigwtypes.OpAdd, Path: aws.String("/binaryMediaTypes/" + escape(t))})
		}
	}
	return ops
}

// Attribute types of the nested attributes of portico_api.
var (
	corsAttrTypes = map[string]attr.Type{
		"allow_origins": types.ListType{ElemType: types.StringType}, "allow_methods": types.ListType{ElemType: types.StringType},
		"allow_headers": types.ListType{ElemType: types.StringType}, "expose_headers": types.ListType{ElemType: types.StringType},
		"allow_credentials": types.BoolType, "max_age": types.Int64Type,
	}
	accessLogAttrTypes  = map[string]attr.Type{"retention_days": types.Int64Type, "cloudwatch_role_arn": types.StringType}
	throttlingAttrTypes = map[string]attr.Type{"rate_limit": types.Float64Type, "burst_limit": types.Int64Type}
)

// objectModel decodes a nested attribute; null or unknown is nil.
func objectModel[T any](ctx context.Context, o types.Object) (*T, error) {
	if o.IsNull() || o.IsUnknown() {
		return nil, nil
	}
	v := new(T)
	if diags := o.As(ctx, v, basetypes.ObjectAsOptions{}); diags.HasError() {
		return nil, fmt.Errorf("read nested attribute: %v", diags)
	}
	return v, nil
}

// objectOf encodes a nested attribute; nil is null.
func objectOf[T any](ctx context.Context, attrTypes map[string]attr.Type, v *T) types.Object {
	if v == nil {
		return types.ObjectNull(attrTypes)
	}
	o, diags := types.ObjectValueFrom(ctx, attrTypes, v)
	if diags.HasError() {
		return types.ObjectNull(attrTypes)
	}
	return o
}

// corsCfg is m's cors (nil without one, or while unknown).
func (m *APIResourceModel) corsCfg(ctx context.Context) *corsModel {
	v, _ := objectModel[corsModel](ctx, m.CORS)
	return v
}

// hasCORS reports whether m configures CORS.
func (m *APIResourceModel) hasCORS() bool { return !m.CORS.IsNull() && !m.CORS.IsUnknown() }

// accessLogCfg is m's access_log (nil without one, or while unknown).
func (m *APIResourceModel) accessLogCfg(ctx context.Context) *accessLogModel {
	v, _ := objectModel[accessLogModel](ctx, m.AccessLog)
	return v
}

// throttlingCfg is m's throttling (nil without it, or while unknown).
func (m *APIResourceModel) throttlingCfg(ctx context.Context) *throttlingModel {
	v, _ := objectModel[throttlingModel](ctx, m.Throttling)
	return v
}
