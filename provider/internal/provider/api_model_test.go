package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// awsModel is an in-process model of what API Gateway and Lambda do that
// MiniStack does not: a stage serves a snapshot of the API taken by its
// deployment (MiniStack serves the live configuration), and API Gateway may
// invoke a function only when the function's resource policy has a
// statement for the API (MiniStack invokes any function). After every call
// that changes either, the model checks each stage: a stage whose deployment
// uses a function without such a statement would answer 500 to every
// request, and that moment is recorded in outages. It implements
// apiGatewayAPI, lambdaPermissionAPI and callerAPI.
type awsModel struct {
	mu       sync.Mutex
	apis     map[string]*modelAPI
	policies map[string]map[string]lambdaPermission // function ARN → statement id → statement
	next     int
	// calls logs every changing call, "Operation detail".
	calls []string
	// outages are the moments a stage would have answered 500.
	outages []string
	// fail makes the next call of an operation fail with its error.
	fail map[string]error
	// busy makes the next n AddPermission calls fail as Lambda does while
	// another change to the policy is in progress.
	busy int
}

type modelAPI struct {
	id, name     string
	rootID       string
	resources    map[string]string // id → path
	authorizers  map[string]*apigwtypes.Authorizer
	methods      map[string]string           // "<resource id> <method>" → authorizer id ("" without one)
	integrations map[string]modelIntegration // "<resource id> <method>" → integration
	deployments  map[string]modelSnapshot
	stages       map[string]string // stage → deployment id
	stagePatches map[string][]apigwtypes.PatchOperation
	responses    map[string]apigwtypes.GatewayResponse
	binary       []string
}

// modelIntegration is an integration as the model keeps it.
type modelIntegration struct {
	uri       string
	timeoutMs int32
}

// methodKey keys a method of a resource.
func methodKey(resourceID, method *string) string {
	return aws.ToString(resourceID) + " " + aws.ToString(method)
}

// modelSnapshot is what a deployment froze: the functions it invokes.
type modelSnapshot struct {
	description string
	functions   []string
}

const modelAccount = "123456789012"

func newAWSModel() *awsModel {
	return &awsModel{apis: map[string]*modelAPI{}, policies: map[string]map[string]lambdaPermission{}, fail: map[string]error{}}
}

var (
	_ apiGatewayAPI       = (*awsModel)(nil)
	_ lambdaPermissionAPI = (*awsModel)(nil)
	_ callerAPI           = (*awsModel)(nil)
)

func (m *awsModel) id(prefix string) string {
	m.next++
	return fmt.Sprintf("%s%04d", prefix, m.next)
}

// failing returns the injected error of op, once.
func (m *awsModel) failing(op string) error {
	if err, ok := m.fail[op]; ok {
		delete(m.fail, op)
		return err
	}
	return nil
}

// changed logs a changing call and checks every stage.
func (m *awsModel) changed(call string) {
	m.calls = append(m.calls, call)
	for _, api := range m.apis {
		for stage, dep := range api.stages {
			for _, fn := range api.deployments[dep].functions {
				if !m.mayInvoke(api.id, fn) {
					m.outages = append(m.outages, fmt.Sprintf("after %s: stage %s of API %s invokes %s without permission", call, stage, api.id, fn))
				}
			}
		}
	}
}

// mayInvoke reports whether fn's policy lets API apiID invoke it.
func (m *awsModel) mayInvoke(apiID, fn string) bool {
	for _, p := range m.policies[fn] {
		if strings.HasSuffix(p.SourceARN, ":"+apiID+"/*") {
			return true
		}
	}
	return false
}

func (m *awsModel) api(id *string) (*modelAPI, error) {
	a, ok := m.apis[aws.ToString(id)]
	if !ok {
		return nil, apiError("NotFoundException", "Invalid API identifier specified")
	}
	return a, nil
}

// functionOf is the function ARN of an invocation URI.
func functionOf(uri string) string {
	fn, err := functionARNFromInvokeARN(uri)
	if err != nil {
		return uri
	}
	return fn
}

// snapshot is what a deployment of api made now would serve.
func (api *modelAPI) snapshot(description string) modelSnapshot {
	seen := map[string]bool{}
	var fns []string
	add := func(uri string) {
		if fn := functionOf(uri); fn != "" && !seen[fn] {
			seen[fn] = true
			fns = append(fns, fn)
		}
	}
	for key, auth := range api.methods {
		if a := api.authorizers[auth]; a != nil {
			add(aws.ToString(a.AuthorizerUri))
		}
		add(api.integrations[key].uri)
	}
	sort.Strings(fns)
	return modelSnapshot{description: description, functions: fns}
}

// served are the functions the stage's deployment invokes.
func (m *awsModel) served(apiID, stage string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	api := m.apis[apiID]
	return api.deployments[api.stages[stage]].functions
}

// ---- STS

func (m *awsModel) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(modelAccount), Arn: aws.String("arn:aws:iam::" + modelAccount + ":user/terraform")}, nil
}

// ---- Lambda

func (m *awsModel) AddPermission(_ context.Context, in *lambda.AddPermissionInput, _ ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.busy > 0 {
		m.busy--
		return nil, apiError("ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: "+aws.ToString(in.FunctionName))
	}
	if err := m.failing("AddPermission"); err != nil {
		return nil, err
	}
	fn, sid := aws.ToString(in.FunctionName), aws.ToString(in.StatementId)
	if m.policies[fn] == nil {
		m.policies[fn] = map[string]lambdaPermission{}
	}
	if _, ok := m.policies[fn][sid]; ok {
		return nil, apiError("ResourceConflictException", "The statement id ("+sid+") provided already exists. Please provide a new statement id, or remove the existing statement.")
	}
	m.policies[fn][sid] = lambdaPermission{Function: fn, StatementID: sid, SourceARN: aws.ToString(in.SourceArn)}
	m.changed("AddPermission " + fn)
	return &lambda.AddPermissionOutput{}, nil
}

func (m *awsModel) RemovePermission(_ context.Context, in *lambda.RemovePermissionInput, _ ...func(*lambda.Options)) (*lambda.RemovePermissionOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("RemovePermission"); err != nil {
		return nil, err
	}
	fn, sid := aws.ToString(in.FunctionName), aws.ToString(in.StatementId)
	if _, ok := m.policies[fn][sid]; !ok {
		return nil, apiError("ResourceNotFoundException", "The resource you requested does not exist.")
	}
	delete(m.policies[fn], sid)
	m.changed("RemovePermission " + fn)
	return &lambda.RemovePermissionOutput{}, nil
}

func (m *awsModel) GetPolicy(_ context.Context, in *lambda.GetPolicyInput, _ ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn := aws.ToString(in.FunctionName)
	if len(m.policies[fn]) == 0 {
		return nil, apiError("ResourceNotFoundException", "The resource you requested does not exist.")
	}
	var statements []map[string]any
	for _, p := range m.policies[fn] {
		statements = append(statements, map[string]any{
			"Sid": p.StatementID, "Effect": "Allow", "Principal": map[string]string{"Service": apigatewayService},
			"Action": "lambda:InvokeFunction", "Resource": fn,
			"Condition": map[string]any{"ArnLike": map[string]string{"AWS:SourceArn": p.SourceARN}},
		})
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return &lambda.GetPolicyOutput{Policy: aws.String(string(b))}, nil
}

// grantedTo are the statement ids on fn.
func (m *awsModel) grantedTo(fn string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for sid := range m.policies[fn] {
		out = append(out, sid)
	}
	sort.Strings(out)
	return out
}

// ---- API Gateway

func (m *awsModel) CreateRestApi(_ context.Context, in *apigateway.CreateRestApiInput, _ ...func(*apigateway.Options)) (*apigateway.CreateRestApiOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api := m.newAPI(aws.ToString(in.Name))
	api.binary = in.BinaryMediaTypes
	m.changed("CreateRestApi " + api.id)
	return &apigateway.CreateRestApiOutput{Id: aws.String(api.id), Name: in.Name, RootResourceId: aws.String(api.rootID)}, nil
}

// newAPI adds an empty API; m.mu is held.
func (m *awsModel) newAPI(name string) *modelAPI {
	api := &modelAPI{id: m.id("api"), name: name, rootID: m.id("root"), resources: map[string]string{},
		authorizers: map[string]*apigwtypes.Authorizer{}, methods: map[string]string{}, integrations: map[string]modelIntegration{},
		deployments: map[string]modelSnapshot{}, stages: map[string]string{}, responses: map[string]apigwtypes.GatewayResponse{},
		stagePatches: map[string][]apigwtypes.PatchOperation{}}
	api.resources[api.rootID] = "/"
	m.apis[api.id] = api
	return api
}

// existingAPI adds an API made by someone else, with a stage serving an
// empty deployment, and returns its id.
func (m *awsModel) existingAPI(name, stage string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	api := m.newAPI(name)
	dep := m.id("dep")
	api.deployments[dep] = modelSnapshot{description: "the owner's"}
	api.stages[stage] = dep
	return api.id
}

// ownerDeploys deploys the API to stage as its owner would.
func (m *awsModel) ownerDeploys(apiID, stage string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api := m.apis[apiID]
	dep := m.id("dep")
	api.deployments[dep] = api.snapshot("the owner's")
	api.stages[stage] = dep
	m.changed("owner's CreateDeployment " + stage)
}

func (m *awsModel) GetRestApi(_ context.Context, in *apigateway.GetRestApiInput, _ ...func(*apigateway.Options)) (*apigateway.GetRestApiOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	return &apigateway.GetRestApiOutput{Id: aws.String(api.id), Name: aws.String(api.name), RootResourceId: aws.String(api.rootID), BinaryMediaTypes: api.binary}, nil
}

func (m *awsModel) UpdateRestApi(_ context.Context, in *apigateway.UpdateRestApiInput, _ ...func(*apigateway.Options)) (*apigateway.UpdateRestApiOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	for _, op := range in.PatchOperations {
		p := aws.ToString(op.Path)
		switch {
		case p == "/name":
			api.name = aws.ToString(op.Value)
		case strings.HasPrefix(p, "/binaryMediaTypes/"):
			t := strings.NewReplacer("~1", "/", "~0", "~").Replace(strings.TrimPrefix(p, "/binaryMediaTypes/"))
			api.binary = slices.DeleteFunc(api.binary, func(b string) bool { return b == t })
			if op.Op == apigwtypes.OpAdd {
				api.binary = append(api.binary, t)
			}
		}
	}
	m.changed("UpdateRestApi " + api.id)
	return &apigateway.UpdateRestApiOutput{Id: aws.String(api.id), Name: aws.String(api.name)}, nil
}

func (m *awsModel) DeleteRestApi(_ context.Context, in *apigateway.DeleteRestApiInput, _ ...func(*apigateway.Options)) (*apigateway.DeleteRestApiOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.api(in.RestApiId); err != nil {
		return nil, err
	}
	delete(m.apis, aws.ToString(in.RestApiId))
	m.changed("DeleteRestApi " + aws.ToString(in.RestApiId))
	return &apigateway.DeleteRestApiOutput{}, nil
}

func (m *awsModel) GetResources(_ context.Context, in *apigateway.GetResourcesInput, _ ...func(*apigateway.Options)) (*apigateway.GetResourcesOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	out := &apigateway.GetResourcesOutput{}
	for id, p := range api.resources {
		out.Items = append(out.Items, apigwtypes.Resource{Id: aws.String(id), Path: aws.String(p)})
	}
	return out, nil
}

func (m *awsModel) CreateResource(_ context.Context, in *apigateway.CreateResourceInput, _ ...func(*apigateway.Options)) (*apigateway.CreateResourceOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	id := m.id("res")
	api.resources[id] = "/" + aws.ToString(in.PathPart)
	m.changed("CreateResource " + api.resources[id])
	return &apigateway.CreateResourceOutput{Id: aws.String(id)}, nil
}

func (m *awsModel) DeleteResource(_ context.Context, in *apigateway.DeleteResourceInput, _ ...func(*apigateway.Options)) (*apigateway.DeleteResourceOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	id := aws.ToString(in.ResourceId)
	delete(api.resources, id)
	for k := range api.methods {
		if strings.HasPrefix(k, id+" ") {
			delete(api.methods, k)
			delete(api.integrations, k)
		}
	}
	m.changed("DeleteResource " + id)
	return &apigateway.DeleteResourceOutput{}, nil
}

func (m *awsModel) CreateAuthorizer(_ context.Context, in *apigateway.CreateAuthorizerInput, _ ...func(*apigateway.Options)) (*apigateway.CreateAuthorizerOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	id := m.id("auth")
	api.authorizers[id] = &apigwtypes.Authorizer{Id: aws.String(id), Name: in.Name, AuthorizerUri: in.AuthorizerUri, AuthorizerResultTtlInSeconds: in.AuthorizerResultTtlInSeconds}
	m.changed("CreateAuthorizer")
	return &apigateway.CreateAuthorizerOutput{Id: aws.String(id)}, nil
}

func (m *awsModel) GetAuthorizer(_ context.Context, in *apigateway.GetAuthorizerInput, _ ...func(*apigateway.Options)) (*apigateway.GetAuthorizerOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	a, ok := api.authorizers[aws.ToString(in.AuthorizerId)]
	if !ok {
		return nil, apiError("NotFoundException", "Invalid authorizer identifier")
	}
	return &apigateway.GetAuthorizerOutput{Id: a.Id, Name: a.Name, AuthorizerUri: a.AuthorizerUri, AuthorizerResultTtlInSeconds: a.AuthorizerResultTtlInSeconds}, nil
}

func (m *awsModel) GetAuthorizers(_ context.Context, in *apigateway.GetAuthorizersInput, _ ...func(*apigateway.Options)) (*apigateway.GetAuthorizersOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	out := &apigateway.GetAuthorizersOutput{}
	for _, a := range api.authorizers {
		out.Items = append(out.Items, *a)
	}
	return out, nil
}

func (m *awsModel) UpdateAuthorizer(_ context.Context, in *apigateway.UpdateAuthorizerInput, _ ...func(*apigateway.Options)) (*apigateway.UpdateAuthorizerOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	a := api.authorizers[aws.ToString(in.AuthorizerId)]
	for _, op := range in.PatchOperations {
		switch aws.ToString(op.Path) {
		case "/authorizerUri":
			a.AuthorizerUri = op.Value
		case "/authorizerResultTtlInSeconds":
			var ttl int32
			fmt.Sscan(aws.ToString(op.Value), &ttl)
			a.AuthorizerResultTtlInSeconds = aws.Int32(ttl)
		}
	}
	m.changed("UpdateAuthorizer")
	return &apigateway.UpdateAuthorizerOutput{}, nil
}

func (m *awsModel) DeleteAuthorizer(_ context.Context, in *apigateway.DeleteAuthorizerInput, _ ...func(*apigateway.Options)) (*apigateway.DeleteAuthorizerOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	delete(api.authorizers, aws.ToString(in.AuthorizerId))
	m.changed("DeleteAuthorizer")
	return &apigateway.DeleteAuthorizerOutput{}, nil
}

func (m *awsModel) GetMethod(_ context.Context, in *apigateway.GetMethodInput, _ ...func(*apigateway.Options)) (*apigateway.GetMethodOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	if _, ok := api.methods[methodKey(in.ResourceId, in.HttpMethod)]; !ok {
		return nil, apiError("NotFoundException", "Invalid Method identifier specified")
	}
	return &apigateway.GetMethodOutput{HttpMethod: in.HttpMethod}, nil
}

func (m *awsModel) PutMethod(_ context.Context, in *apigateway.PutMethodInput, _ ...func(*apigateway.Options)) (*apigateway.PutMethodOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	api.methods[methodKey(in.ResourceId, in.HttpMethod)] = aws.ToString(in.AuthorizerId)
	m.changed("PutMethod " + aws.ToString(in.HttpMethod) + " " + api.resources[aws.ToString(in.ResourceId)])
	return &apigateway.PutMethodOutput{}, nil
}

func (m *awsModel) DeleteMethod(_ context.Context, in *apigateway.DeleteMethodInput, _ ...func(*apigateway.Options)) (*apigateway.DeleteMethodOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	delete(api.methods, methodKey(in.ResourceId, in.HttpMethod))
	delete(api.integrations, methodKey(in.ResourceId, in.HttpMethod))
	m.changed("DeleteMethod " + aws.ToString(in.HttpMethod))
	return &apigateway.DeleteMethodOutput{}, nil
}

func (m *awsModel) PutIntegration(_ context.Context, in *apigateway.PutIntegrationInput, _ ...func(*apigateway.Options)) (*apigateway.PutIntegrationOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	api.integrations[methodKey(in.ResourceId, in.HttpMethod)] = modelIntegration{uri: aws.ToString(in.Uri), timeoutMs: aws.ToInt32(in.TimeoutInMillis)}
	m.changed("PutIntegration " + aws.ToString(in.HttpMethod) + " " + functionOf(aws.ToString(in.Uri)))
	return &apigateway.PutIntegrationOutput{}, nil
}

func (m *awsModel) GetIntegration(_ context.Context, in *apigateway.GetIntegrationInput, _ ...func(*apigateway.Options)) (*apigateway.GetIntegrationOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	integ, ok := api.integrations[methodKey(in.ResourceId, in.HttpMethod)]
	if !ok {
		return nil, apiError("NotFoundException", "No integration defined for method")
	}
	return &apigateway.GetIntegrationOutput{Uri: aws.String(integ.uri), TimeoutInMillis: integ.timeoutMs}, nil
}

func (m *awsModel) CreateDeployment(_ context.Context, in *apigateway.CreateDeploymentInput, _ ...func(*apigateway.Options)) (*apigateway.CreateDeploymentOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.failing("CreateDeployment"); err != nil {
		return nil, err
	}
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	id := m.id("dep")
	api.deployments[id] = api.snapshot(aws.ToString(in.Description))
	if stage := aws.ToString(in.StageName); stage != "" {
		api.stages[stage] = id
	}
	m.changed("CreateDeployment " + aws.ToString(in.StageName))
	return &apigateway.CreateDeploymentOutput{Id: aws.String(id)}, nil
}

func (m *awsModel) GetDeployment(_ context.Context, in *apigateway.GetDeploymentInput, _ ...func(*apigateway.Options)) (*apigateway.GetDeploymentOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	d, ok := api.deployments[aws.ToString(in.DeploymentId)]
	if !ok {
		return nil, apiError("NotFoundException", "Invalid Deployment identifier specified")
	}
	return &apigateway.GetDeploymentOutput{Id: in.DeploymentId, Description: aws.String(d.description)}, nil
}

func (m *awsModel) GetStage(_ context.Context, in *apigateway.GetStageInput, _ ...func(*apigateway.Options)) (*apigateway.GetStageOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	dep, ok := api.stages[aws.ToString(in.StageName)]
	if !ok {
		return nil, apiError("NotFoundException", "Invalid Stage identifier specified")
	}
	out := &apigateway.GetStageOutput{StageName: in.StageName, DeploymentId: aws.String(dep), MethodSettings: map[string]apigwtypes.MethodSetting{}}
	for _, op := range api.stagePatches[aws.ToString(in.StageName)] {
		v := aws.ToString(op.Value)
		switch p := aws.ToString(op.Path); {
		case p == "/tracingEnabled":
			out.TracingEnabled = v == "true"
		case p == "/*/*" && op.Op == apigwtypes.OpRemove:
			delete(out.MethodSettings, "*/*")
		case p == "/*/*/throttling/rateLimit":
			ms := out.MethodSettings["*/*"]
			fmt.Sscan(v, &ms.ThrottlingRateLimit)
			out.MethodSettings["*/*"] = ms
		case p == "/*/*/throttling/burstLimit":
			ms := out.MethodSettings["*/*"]
			fmt.Sscan(v, &ms.ThrottlingBurstLimit)
			out.MethodSettings["*/*"] = ms
		}
	}
	return out, nil
}

func (m *awsModel) UpdateStage(_ context.Context, in *apigateway.UpdateStageInput, _ ...func(*apigateway.Options)) (*apigateway.UpdateStageOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	stage := aws.ToString(in.StageName)
	if _, ok := api.stages[stage]; !ok {
		return nil, apiError("NotFoundException", "Invalid Stage identifier specified")
	}
	api.stagePatches[stage] = append(api.stagePatches[stage], in.PatchOperations...)
	m.changed("UpdateStage " + stage)
	return &apigateway.UpdateStageOutput{StageName: in.StageName}, nil
}

func (m *awsModel) GetStages(_ context.Context, in *apigateway.GetStagesInput, _ ...func(*apigateway.Options)) (*apigateway.GetStagesOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	out := &apigateway.GetStagesOutput{}
	for s, d := range api.stages {
		out.Item = append(out.Item, apigwtypes.Stage{StageName: aws.String(s), DeploymentId: aws.String(d)})
	}
	return out, nil
}

func (m *awsModel) DeleteStage(_ context.Context, in *apigateway.DeleteStageInput, _ ...func(*apigateway.Options)) (*apigateway.DeleteStageOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	delete(api.stages, aws.ToString(in.StageName))
	m.changed("DeleteStage " + aws.ToString(in.StageName))
	return &apigateway.DeleteStageOutput{}, nil
}

func (m *awsModel) PutGatewayResponse(_ context.Context, in *apigateway.PutGatewayResponseInput, _ ...func(*apigateway.Options)) (*apigateway.PutGatewayResponseOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	api.responses[string(in.ResponseType)] = apigwtypes.GatewayResponse{ResponseType: in.ResponseType, StatusCode: in.StatusCode,
		ResponseTemplates: in.ResponseTemplates, ResponseParameters: in.ResponseParameters}
	m.changed("PutGatewayResponse " + string(in.ResponseType))
	return &apigateway.PutGatewayResponseOutput{}, nil
}

func (m *awsModel) DeleteGatewayResponse(_ context.Context, in *apigateway.DeleteGatewayResponseInput, _ ...func(*apigateway.Options)) (*apigateway.DeleteGatewayResponseOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	delete(api.responses, string(in.ResponseType))
	m.changed("DeleteGatewayResponse " + string(in.ResponseType))
	return &apigateway.DeleteGatewayResponseOutput{}, nil
}

func (m *awsModel) GetGatewayResponses(_ context.Context, in *apigateway.GetGatewayResponsesInput, _ ...func(*apigateway.Options)) (*apigateway.GetGatewayResponsesOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	api, err := m.api(in.RestApiId)
	if err != nil {
		return nil, err
	}
	out := &apigateway.GetGatewayResponsesOutput{}
	for _, r := range api.responses {
		out.Items = append(out.Items, r)
	}
	return out, nil
}

// indexOf is the position of the first call starting with prefix and
// containing part in m.calls, or -1.
func (m *awsModel) indexOf(prefix, part string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.calls {
		if strings.HasPrefix(c, prefix) && strings.Contains(c, part) {
			return i
		}
	}
	return -1
}

// lastIndexOf is the position of the last call starting with prefix and
// containing part in m.calls, or -1.
func (m *awsModel) lastIndexOf(prefix, part string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.calls) - 1; i >= 0; i-- {
		if strings.HasPrefix(m.calls[i], prefix) && strings.Contains(m.calls[i], part) {
			return i
		}
	}
	return -1
}

// mapPrivate is private state for the tests: the framework's is an internal
// type.
type mapPrivate map[string][]byte

var _ privateData = mapPrivate(nil)

func (p mapPrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}

func (p mapPrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	if len(value) == 0 {
		delete(p, key)
		return nil
	}
	p[key] = value
	return nil
}
