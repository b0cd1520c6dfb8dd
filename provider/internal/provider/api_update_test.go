package provider

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Functions of the tests, as Lambda ARNs.
const (
	fnAuthA = "arn:aws:lambda:us-east-1:123456789012:function:auth-a"
	fnAuthB = "arn:aws:lambda:us-east-1:123456789012:function:auth-b"
	fnAggA  = "arn:aws:lambda:us-east-1:123456789012:function:agg-a"
	fnAggB  = "arn:aws:lambda:us-east-1:123456789012:function:agg-b"
)

// nullTimeouts is an absent timeouts block.
func nullTimeouts() timeouts.Value {
	return timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
		"create": types.StringType, "update": types.StringType, "delete": types.StringType,
	})}
}

// apiConfig is a portico_api as configured: name or restAPIID, the two
// functions, the default TTL, stage (null: not configured).
func apiConfig(name, restAPIID, authorizer, aggregator string, stage types.String) APIResourceModel {
	m := APIResourceModel{
		ID: types.StringUnknown(), RestAPIID: types.StringNull(), Name: types.StringNull(),
		AuthorizerFunctionARN: types.StringValue(authorizer), AggregatorFunctionARN: types.StringValue(aggregator),
		AuthorizerTTL: types.Int64Value(defaultAuthorizerTTL), StageName: stage,
		RootResourceID: types.StringUnknown(), ProxyResourceID: types.StringUnknown(), AuthorizerID: types.StringUnknown(),
		DeploymentID: types.StringUnknown(), ExecutionARN: types.StringUnknown(), InvokeURL: types.StringUnknown(),
		RedeploymentTrigger: types.StringUnknown(), GatewayResponses: types.MapNull(types.ObjectType{AttrTypes: gatewayResponseAttrTypes}),
		BinaryMediaTypes: types.ListNull(types.StringType), IntegrationTimeout: types.Int64Value(defaultIntegrationTimeout),
		AggregatorTimeout: types.Int64Null(), AccessLogGroupName: types.StringUnknown(), Tracing: types.BoolValue(false),
		CORS: types.ObjectNull(corsAttrTypes), AccessLog: types.ObjectNull(accessLogAttrTypes), Throttling: types.ObjectNull(throttlingAttrTypes),
		Tags: types.MapNull(types.StringType), TagsAll: types.MapUnknown(types.StringType),
		Timeouts: nullTimeouts(),
	}
	if restAPIID != "" {
		m.RestAPIID = types.StringValue(restAPIID)
	} else {
		m.Name = types.StringValue(name)
	}
	return m
}

// apiTest drives APIResource against the AWS model as Terraform would: plan
// (planAPI, as ModifyPlan), then create or update, keeping state and
// private state between applies.
type apiTest struct {
	t     *testing.T
	model *awsModel
	r     *APIResource
	state *APIResourceModel
	priv  mapPrivate
}

func newAPITest(t *testing.T) *apiTest {
	m := newAWSModel()
	return &apiTest{t: t, model: m, priv: mapPrivate{},
		r: &APIResource{gw: m, lambda: m, sts: m, region: "us-east-1", configured: true}}
}

// plan is what ModifyPlan makes of config against the current state.
func (a *apiTest) plan(config APIResourceModel) APIResourceModel {
	a.t.Helper()
	plan := config
	if a.state != nil {
		// What the framework carries over: UseStateForUnknown and prior
		// values of computed attributes.
		for _, p := range []struct{ dst, src *types.String }{
			{&plan.ID, &a.state.ID}, {&plan.RootResourceID, &a.state.RootResourceID}, {&plan.ProxyResourceID, &a.state.ProxyResourceID},
			{&plan.AuthorizerID, &a.state.AuthorizerID}, {&plan.ExecutionARN, &a.state.ExecutionARN},
		} {
			*p.dst = *p.src
		}
		if config.StageName.IsNull() {
			plan.StageName = a.state.StageName
		}
	}
	pending, diags := loadPending(context.Background(), a.priv)
	noErrors(a.t, "load pending", diags)
	planAPI(context.Background(), &plan, &config, a.state, pending, "", "us-east-1", true)
	return plan
}

// apply plans config and creates or updates; it returns the plan and the
// update's error, if any (a create must succeed).
func (a *apiTest) apply(config APIResourceModel) (APIResourceModel, error) {
	a.t.Helper()
	ctx := context.Background()
	plan := a.plan(config)
	if a.state == nil {
		s := resourceSchema(a.t, a.r)
		resp := resource.CreateResponse{State: tfState(a.t, s, nil)}
		a.r.Create(ctx, resource.CreateRequest{Plan: tfPlan(a.t, s, &plan)}, &resp)
		noErrors(a.t, "Create", resp.Diagnostics)
		var got APIResourceModel
		noErrors(a.t, "state", resp.State.Get(ctx, &got))
		a.state = &got
		return plan, nil
	}
	next := plan
	diags := a.r.update(ctx, &next, a.state, a.priv)
	if diags.HasError() {
		// The framework keeps the prior state; a refresh reads the API.
		refreshed := *a.state
		if _, err := a.r.read(ctx, &refreshed, func(string, string) {}); err != nil {
			a.t.Fatalf("refresh after a failed update: %v", err)
		}
		a.state = &refreshed
		return plan, errors.New(errorText(diags))
	}
	a.state = &next
	return plan, nil
}

// noOutage fails the test if a stage would have answered 500.
func (a *apiTest) noOutage() {
	a.t.Helper()
	if len(a.model.outages) > 0 {
		a.t.Fatalf("got %d moments a stage would answer 500, want none:\n%s", len(a.model.outages), strings.Join(a.model.outages, "\n"))
	}
}

// Swapping the functions of a live API never leaves a stage serving a
// function it may not invoke: grant, point the API at the new functions,
// deploy, and only then revoke. In-process against a model of AWS, because
// MiniStack neither enforces Lambda permissions nor serves deployments as
// snapshots.
func TestAPIFunctionSwapKeepsStageInvokableAWSModel(t *testing.T) {
	a := newAPITest(t)
	if _, err := a.apply(apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull())); err != nil {
		t.Fatal(err)
	}
	a.noOutage()
	apiID := a.state.ID.ValueString()
	if got := a.model.served(apiID, "v1"); !slices.Equal(got, []string{fnAggA, fnAuthA}) {
		t.Fatalf("after create, stage v1 serves %v, want the first authorizer and aggregator", got)
	}
	firstDeployment := a.state.DeploymentID.ValueString()

	plan, err := a.apply(apiConfig("portico", "", fnAuthB, fnAggB, types.StringNull()))
	if err != nil {
		t.Fatal(err)
	}
	a.noOutage()
	if !plan.DeploymentID.IsUnknown() {
		t.Errorf("plan: got deployment_id %v, want a new deployment (unknown)", plan.DeploymentID)
	}
	if got := a.model.served(apiID, "v1"); !slices.Equal(got, []string{fnAggB, fnAuthB}) {
		t.Fatalf("after the swap, stage v1 serves %v, want the new functions", got)
	}
	if a.state.DeploymentID.ValueString() == firstDeployment {
		t.Error("got the first deployment still in state, want the new one")
	}
	for _, fn := range []string{fnAuthA, fnAggA} {
		if got := a.model.grantedTo(fn); len(got) != 0 {
			t.Errorf("old function %s: got statements %v, want its permission revoked", fn, got)
		}
	}
	grant, integrate, deploy, revoke := a.model.indexOf("AddPermission", "agg-b"), a.model.indexOf("PutIntegration", "agg-b"),
		a.model.lastIndexOf("CreateDeployment", "v1"), a.model.indexOf("RemovePermission", "agg-a")
	if grant < 0 || !(grant < integrate && integrate < deploy && deploy < revoke) {
		t.Errorf("call order: got %v, want grant < integration < deployment < revoke", a.model.calls)
	}
	if !a.state.RedeploymentTrigger.Equal(plan.RedeploymentTrigger) || plan.RedeploymentTrigger.IsUnknown() {
		t.Errorf("redeployment_trigger: got state %v, plan %v; want it known at plan time and kept", a.state.RedeploymentTrigger, plan.RedeploymentTrigger)
	}
}

// The model itself catches the order the provider used to follow (revoke
// before redeploying), so the test above cannot pass by not looking.
func TestAWSModelSeesRevokeBeforeDeploy(t *testing.T) {
	a := newAPITest(t)
	if _, err := a.apply(apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull())); err != nil {
		t.Fatal(err)
	}
	apiID := a.state.ID.ValueString()
	ctx := context.Background()
	if err := revokePermission(ctx, a.model, lambdaPermission{Function: fnAggA, StatementID: statementID(apiID, "aggregator")}); err != nil {
		t.Fatal(err)
	}
	if len(a.model.outages) == 0 {
		t.Fatal("revoking the live aggregator's permission: got no outage, want the model to see one")
	}
}

// A deployment that fails leaves the API pointing at the new function but
// the stage on the old deployment. The work left is kept in private state:
// the next plan shows an update (deployment_id unknown) instead of "No
// changes", and the next apply deploys and only then revokes.
func TestAPIInterruptedUpdateIsFinishedNextApplyAWSModel(t *testing.T) {
	a := newAPITest(t)
	if _, err := a.apply(apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull())); err != nil {
		t.Fatal(err)
	}
	apiID := a.state.ID.ValueString()
	a.model.fail["CreateDeployment"] = apiError("TooManyRequestsException", "Too Many Requests")
	swapped := apiConfig("portico", "", fnAuthA, fnAggB, types.StringNull())
	if _, err := a.apply(swapped); err == nil || !strings.Contains(err.Error(), "TooManyRequestsException") {
		t.Fatalf("update with a failing deployment: got %v, want the deployment's error", err)
	}
	a.noOutage()
	if got := a.model.grantedTo(fnAggA); len(got) != 1 {
		t.Fatalf("old aggregator after the failed update: got statements %v, want its permission kept (stage v1 still serves it)", got)
	}
	pending, _ := loadPending(context.Background(), a.priv)
	if !pending.Deploy || len(pending.Revoke) != 1 || pending.Revoke[0].Function != fnAggA {
		t.Fatalf("private state: got %+v, want a pending deployment and the old aggregator's revocation", pending)
	}

	// The refreshed state has the new aggregator (the API points at it), so
	// without the private state the plan would be empty.
	if a.state.AggregatorFunctionARN.ValueString() != fnAggB {
		t.Fatalf("refreshed aggregator: got %s, want %s", a.state.AggregatorFunctionARN.ValueString(), fnAggB)
	}
	if plan := a.plan(swapped); !plan.DeploymentID.IsUnknown() {
		t.Fatalf("next plan: got deployment_id %v, want unknown (an update that deploys)", plan.DeploymentID)
	}
	if _, err := a.apply(swapped); err != nil {
		t.Fatal(err)
	}
	a.noOutage()
	if got := a.model.served(apiID, "v1"); !slices.Contains(got, fnAggB) {
		t.Fatalf("after the second apply, stage v1 serves %v, want %s", got, fnAggB)
	}
	if got := a.model.grantedTo(fnAggA); len(got) != 0 {
		t.Fatalf("old aggregator after the second apply: got %v, want revoked", got)
	}
	if pending, _ := loadPending(context.Background(), a.priv); !pending.empty() {
		t.Fatalf("private state after the second apply: got %+v, want nothing pending", pending)
	}
	if plan := a.plan(swapped); !plan.DeploymentID.Equal(a.state.DeploymentID) {
		t.Fatalf("third plan: got deployment_id %v, want %v (no change)", plan.DeploymentID, a.state.DeploymentID)
	}
}

// A rename and a new stage update in place: same id, execution ARN; the new
// stage serves before the old one goes.
func TestAPIRenameAndStageMoveInPlaceAWSModel(t *testing.T) {
	a := newAPITest(t)
	if _, err := a.apply(apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull())); err != nil {
		t.Fatal(err)
	}
	apiID, arn := a.state.ID.ValueString(), a.state.ExecutionARN.ValueString()
	plan, err := a.apply(apiConfig("portico-renamed", "", fnAuthA, fnAggA, types.StringValue("prod")))
	if err != nil {
		t.Fatal(err)
	}
	a.noOutage()
	if a.state.ID.ValueString() != apiID || a.state.ExecutionARN.ValueString() != arn || a.state.Name.ValueString() != "portico-renamed" {
		t.Fatalf("got id %s, arn %s, name %s; want the same API renamed", a.state.ID, a.state.ExecutionARN, a.state.Name)
	}
	if want := invokeURL("", "us-east-1", apiID, "prod"); plan.InvokeURL.ValueString() != want || a.state.InvokeURL.ValueString() != want {
		t.Errorf("invoke_url: got plan %v, state %v; want %s known at plan time", plan.InvokeURL, a.state.InvokeURL, want)
	}
	deployProd, deleteV1 := a.model.indexOf("CreateDeployment", "prod"), a.model.indexOf("DeleteStage", "v1")
	if deployProd < 0 || deleteV1 < deployProd {
		t.Fatalf("calls: got %v, want prod deployed before v1 is deleted", a.model.calls)
	}
	if _, ok := a.model.apis[apiID].stages["v1"]; ok {
		t.Error("stage v1: still there, want it deleted")
	}
}

// Wired into an existing API without a stage, the provider deploys nothing:
// the owner's deployment does, told by redeployment_trigger. The old
// function's permission stays until every stage has been redeployed.
func TestAPIAttachedWaitsForTheOwnersDeploymentAWSModel(t *testing.T) {
	a := newAPITest(t)
	apiID := a.model.existingAPI("team-api", "prod")
	plan, err := a.apply(apiConfig("", apiID, fnAuthA, fnAggA, types.StringNull()))
	if err != nil {
		t.Fatal(err)
	}
	if !plan.StageName.IsNull() || !plan.InvokeURL.IsNull() || !plan.DeploymentID.IsNull() || plan.RedeploymentTrigger.IsUnknown() {
		t.Fatalf("plan: got stage %v, invoke_url %v, deployment_id %v, trigger %v; want no stage and a known trigger",
			plan.StageName, plan.InvokeURL, plan.DeploymentID, plan.RedeploymentTrigger)
	}
	if a.state.Name.ValueString() != "team-api" || a.model.indexOf("CreateDeployment", "") >= 0 {
		t.Fatalf("got name %v and calls %v; want the owner's name and no deployment", a.state.Name, a.model.calls)
	}
	a.model.ownerDeploys(apiID, "prod")
	a.noOutage()
	firstTrigger := a.state.RedeploymentTrigger

	if _, err := a.apply(apiConfig("", apiID, fnAuthA, fnAggB, types.StringNull())); err != nil {
		t.Fatal(err)
	}
	a.noOutage()
	if a.state.RedeploymentTrigger.Equal(firstTrigger) {
		t.Fatal("redeployment_trigger: unchanged after the aggregator changed, want a new value for the owner's deployment")
	}
	if got := a.model.grantedTo(fnAggA); len(got) != 1 {
		t.Fatalf("old aggregator while prod serves the old deployment: got %v, want its permission kept", got)
	}
	plan = a.plan(apiConfig("", apiID, fnAuthA, fnAggB, types.StringNull()))
	if !plan.DeploymentID.IsUnknown() {
		t.Fatalf("plan with a revocation pending: got deployment_id %v, want an update (unknown)", plan.DeploymentID)
	}

	a.model.ownerDeploys(apiID, "prod")
	if _, err := a.apply(apiConfig("", apiID, fnAuthA, fnAggB, types.StringNull())); err != nil {
		t.Fatal(err)
	}
	a.noOutage()
	if got := a.model.grantedTo(fnAggA); len(got) != 0 {
		t.Fatalf("old aggregator after the owner redeployed: got %v, want revoked", got)
	}

	// Destroying removes Portico's parts and leaves the owner's API.
	ctx := context.Background()
	s := resourceSchema(t, a.r)
	st := tfState(t, s, a.state)
	var del resource.DeleteResponse
	a.r.Delete(ctx, resource.DeleteRequest{State: st}, &del)
	noErrors(t, "Delete", del.Diagnostics)
	api := a.model.apis[apiID]
	if api == nil || len(api.methods) != 0 || len(api.authorizers) != 0 || len(api.resources) != 1 {
		t.Fatalf("after destroy: got API %v, want it kept with only its root resource", api)
	}
}

// An existing API that already has Portico's resource or root method is
// refused with a message that says so.
func TestAPIAttachRefusesCollisionsAWSModel(t *testing.T) {
	a := newAPITest(t)
	apiID := a.model.existingAPI("team-api", "prod")
	a.model.apis[apiID].resources["res-x"] = proxyPath
	s := resourceSchema(t, a.r)
	plan := a.plan(apiConfig("", apiID, fnAuthA, fnAggA, types.StringNull()))
	resp := resource.CreateResponse{State: tfState(t, s, nil)}
	a.r.Create(context.Background(), resource.CreateRequest{Plan: tfPlan(t, s, &plan)}, &resp)
	wantError(t, "Create into an API with {proxy+}", resp.Diagnostics, "already has a /{proxy+} resource")
}

// Granting a statement that exists with the same grant succeeds; one with
// another source is replaced; Lambda's "update in progress" is retried.
func TestGrantPermission(t *testing.T) {
	ctx := context.Background()
	m := newAWSModel()
	p := lambdaPermission{Function: fnAggA, StatementID: "portico-api1-aggregator", SourceARN: "arn:aws:execute-api:us-east-1:123456789012:api1/*"}
	m.busy = 2
	if err := grantPermission(ctx, m, p); err != nil {
		t.Fatalf("grant while Lambda is busy: got %v, want it retried", err)
	}
	if err := grantPermission(ctx, m, p); err != nil {
		t.Fatalf("grant of an existing statement: got %v, want success", err)
	}
	other := p
	other.SourceARN = "arn:aws:execute-api:us-east-1:123456789012:api2/*"
	if err := grantPermission(ctx, m, other); err != nil {
		t.Fatalf("grant over a statement with another source: got %v, want it replaced", err)
	}
	if got := m.policies[fnAggA][p.StatementID].SourceARN; got != other.SourceARN {
		t.Fatalf("source after replacement: got %s, want %s", got, other.SourceARN)
	}
	if err := revokePermission(ctx, m, p); err != nil {
		t.Fatal(err)
	}
	if err := revokePermission(ctx, m, p); err != nil {
		t.Fatalf("revoke of a missing statement: got %v, want success", err)
	}
}

func TestPermissionChanges(t *testing.T) {
	a := lambdaPermission{Function: fnAggA, StatementID: "s-agg"}
	b := lambdaPermission{Function: fnAggB, StatementID: "s-agg"}
	auth := lambdaPermission{Function: fnAuthA, StatementID: "s-auth"}
	grant, revoke := permissionChanges([]lambdaPermission{auth, b}, []lambdaPermission{auth, a, a})
	if !slices.Equal(grant, []lambdaPermission{auth, b}) || !slices.Equal(revoke, []lambdaPermission{a}) {
		t.Fatalf("got grant %v, revoke %v; want every wanted one granted and the old aggregator revoked once", grant, revoke)
	}
}

// The plan knows what it can: the default stage, the invoke URL, the
// trigger; an existing API has no stage unless configured.
func TestPlanAPI(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		config     APIResourceModel
		wantStage  types.String
		wantURL    types.String
		wantDeploy bool // deployment_id unknown
	}{
		{"created API", apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull()), types.StringValue("v1"), types.StringUnknown(), true},
		{"existing API", apiConfig("", "abc123", fnAuthA, fnAggA, types.StringNull()), types.StringNull(), types.StringNull(), false},
		{"existing API with a stage", apiConfig("", "abc123", fnAuthA, fnAggA, types.StringValue("portico")), types.StringValue("portico"),
			types.StringValue("https://abc123.execute-api.eu-west-1.amazonaws.com/portico"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := tt.config
			planAPI(ctx, &plan, &tt.config, nil, pendingWork{}, "", "eu-west-1", true)
			if !plan.StageName.Equal(tt.wantStage) || !plan.InvokeURL.Equal(tt.wantURL) || plan.DeploymentID.IsUnknown() != tt.wantDeploy {
				t.Errorf("got stage %v, invoke_url %v, deployment_id %v; want %v, %v, unknown=%v",
					plan.StageName, plan.InvokeURL, plan.DeploymentID, tt.wantStage, tt.wantURL, tt.wantDeploy)
			}
			if plan.RedeploymentTrigger.IsUnknown() {
				t.Error("redeployment_trigger: got unknown, want it known at plan time")
			}
		})
	}
	unknownFn := apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull())
	unknownFn.AggregatorFunctionARN = types.StringUnknown()
	plan := unknownFn
	planAPI(ctx, &plan, &unknownFn, nil, pendingWork{}, "", "eu-west-1", true)
	if !plan.RedeploymentTrigger.IsUnknown() {
		t.Errorf("trigger with an unknown function: got %v, want unknown", plan.RedeploymentTrigger)
	}
}

func TestAPIImportIDs(t *testing.T) {
	r := &APIResource{}
	if got := importedString(t, r, "abc123", "id"); got != "abc123" {
		t.Errorf("imported id: got %q, want abc123", got)
	}
	if got := importedString(t, r, "existing/abc123", "rest_api_id"); got != "abc123" {
		t.Errorf("imported rest_api_id: got %q, want abc123", got)
	}
	s := resourceSchema(t, r)
	for _, bad := range []string{"", "existing/", "a/b"} {
		resp := resource.ImportStateResponse{State: tfState(t, s, nil)}
		r.ImportState(context.Background(), resource.ImportStateRequest{ID: bad}, &resp)
		if !resp.Diagnostics.HasError() {
			t.Errorf("import ID %q: got no error, want one", bad)
		}
	}
}
