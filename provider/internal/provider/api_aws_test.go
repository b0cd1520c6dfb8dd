package provider

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/portico-gw/portico/internal/cors"
)

// refresh reads the API as a Terraform refresh does, keeping what it found
// to repair in private state, as Read does.
func (a *apiTest) refresh() []string {
	a.t.Helper()
	var repair []string
	refreshed := *a.state
	found, err := a.r.refresh(context.Background(), &refreshed, func(string, string) {}, &repair)
	if err != nil || !found {
		a.t.Fatalf("refresh: found %v, %v", found, err)
	}
	pending, diags := loadPending(context.Background(), a.priv)
	noErrors(a.t, "load pending", diags)
	pending.Repair = repair
	noErrors(a.t, "save pending", savePending(context.Background(), a.priv, pending))
	a.state = &refreshed
	return repair
}

func demoCORSModel() *corsModel {
	list := func(vs ...string) types.List {
		l, _ := types.ListValueFrom(context.Background(), types.StringType, vs)
		return l
	}
	return &corsModel{AllowOrigins: list("https://app.portico.local"), AllowMethods: list("GET", "POST"),
		AllowHeaders: list("Authorization", "Content-Type"), ExposeHeaders: list("X-Request-Id"),
		AllowCredentials: types.BoolValue(false), MaxAge: types.Int64Value(600)}
}

// A function replaced under the same name loses its permissions, and with
// them every request gets 500 while the plan used to be empty: the refresh
// now notices, the plan shows an update, and the apply grants them again.
func TestAPIPermissionDriftRepairedAWSModel(t *testing.T) {
	a := newAPITest(t)
	cfg := apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull())
	if _, err := a.apply(cfg); err != nil {
		t.Fatal(err)
	}
	if repair := a.refresh(); len(repair) != 0 {
		t.Fatalf("refresh after create: got repairs %v, want none", repair)
	}
	apiID := a.state.ID.ValueString()
	// The aggregator is deleted and created again outside Terraform.
	a.model.mu.Lock()
	delete(a.model.policies, fnAggA)
	a.model.mu.Unlock()
	repair := a.refresh()
	if len(repair) != 1 || !strings.Contains(repair[0], statementID(apiID, "aggregator")) {
		t.Fatalf("refresh after the function was replaced: got repairs %v, want the aggregator's permission", repair)
	}
	plan := a.plan(cfg)
	if !plan.DeploymentID.IsUnknown() {
		t.Fatalf("plan: got deployment_id %v, want an update (unknown), not an empty plan", plan.DeploymentID)
	}
	if _, err := a.apply(cfg); err != nil {
		t.Fatal(err)
	}
	if got := a.model.grantedTo(fnAggA); !slices.Equal(got, []string{statementID(apiID, "aggregator")}) {
		t.Fatalf("after apply: got statements %v on the aggregator, want its permission back", got)
	}
	if repair := a.refresh(); len(repair) != 0 {
		t.Fatalf("refresh after the repair: got %v, want none", repair)
	}
	if p, _ := loadPending(context.Background(), a.priv); !p.empty() {
		t.Fatalf("got pending work %+v after the repair, want none", p)
	}
}

// With a cors block the API gets OPTIONS methods without the authorizer,
// sent to the aggregator, and every 4xx and 5xx of API Gateway carries the
// policy's headers; a refresh reads back the configuration unchanged.
func TestAPICORSAWSModel(t *testing.T) {
	a := newAPITest(t)
	cfg := apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull())
	cfg.CORS = objectOf(context.Background(), corsAttrTypes, demoCORSModel())
	responses, err := gatewayResponsesValue(context.Background(), map[string]gatewayResponse{
		"UNAUTHORIZED": {StatusCode: "401", Headers: map[string]string{"WWW-Authenticate": `Bearer realm="portico"`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.GatewayResponses = responses
	if _, err := a.apply(cfg); err != nil {
		t.Fatal(err)
	}
	apiID := a.state.ID.ValueString()
	api := a.model.apis[apiID]
	for _, res := range []string{a.state.RootResourceID.ValueString(), a.state.ProxyResourceID.ValueString()} {
		key := res + " OPTIONS"
		auth, ok := api.methods[key]
		if !ok || auth != "" {
			t.Fatalf("OPTIONS on %s: got present %v, authorizer %q; want it without the authorizer", res, ok, auth)
		}
		if got := functionOf(api.integrations[key].uri); got != fnAggA {
			t.Fatalf("OPTIONS on %s: integrated with %s, want the aggregator", res, got)
		}
	}
	want := map[string]string{"Access-Control-Allow-Origin": "'https://app.portico.local'", "Vary": "'Origin'",
		"Access-Control-Expose-Headers": "'X-Request-Id'"}
	for _, typ := range []string{"UNAUTHORIZED", "DEFAULT_4XX", "DEFAULT_5XX"} {
		gr, ok := api.responses[typ]
		if !ok {
			t.Fatalf("gateway response %s: missing", typ)
		}
		for k, v := range want {
			if got := gr.ResponseParameters[headerParamPrefix+k]; got != v {
				t.Errorf("gateway response %s header %s: got %q, want %q", typ, k, got, v)
			}
		}
	}
	if got := api.responses["UNAUTHORIZED"].ResponseParameters[headerParamPrefix+"WWW-Authenticate"]; got != `'Bearer realm="portico"'` {
		t.Errorf("UNAUTHORIZED keeps its own header: got %q", got)
	}
	if s := api.responses["DEFAULT_4XX"].StatusCode; s != nil {
		t.Errorf("DEFAULT_4XX: got status %q, want none (each error keeps its own)", aws.ToString(s))
	}
	before := a.state.GatewayResponses
	if repair := a.refresh(); len(repair) != 0 {
		t.Fatalf("refresh: got repairs %v, want none", repair)
	}
	if !a.state.GatewayResponses.Equal(before) {
		t.Fatalf("refresh: got gateway_responses %v, want the configured %v (CORS headers are the provider's)", a.state.GatewayResponses, before)
	}

	// The CORS header removed from a gateway response in the console.
	a.model.mu.Lock()
	gr := api.responses["DEFAULT_4XX"]
	gr.ResponseParameters = map[string]string{}
	api.responses["DEFAULT_4XX"] = gr
	a.model.mu.Unlock()
	if repair := a.refresh(); len(repair) != 1 || !strings.Contains(repair[0], "DEFAULT_4XX") {
		t.Fatalf("refresh after the console edit: got %v, want DEFAULT_4XX to repair", repair)
	}
	if _, err := a.apply(cfg); err != nil {
		t.Fatal(err)
	}
	if got := api.responses["DEFAULT_4XX"].ResponseParameters[headerParamPrefix+"Access-Control-Allow-Origin"]; got != want["Access-Control-Allow-Origin"] {
		t.Fatalf("after apply: DEFAULT_4XX Access-Control-Allow-Origin %q, want it back", got)
	}

	// Without cors: the OPTIONS methods and the CORS-only responses go.
	cfg.CORS = types.ObjectNull(corsAttrTypes)
	if _, err := a.apply(cfg); err != nil {
		t.Fatal(err)
	}
	for _, res := range []string{a.state.RootResourceID.ValueString(), a.state.ProxyResourceID.ValueString()} {
		if _, ok := api.methods[res+" OPTIONS"]; ok {
			t.Fatalf("OPTIONS on %s left after cors was removed", res)
		}
	}
	if _, ok := api.responses["DEFAULT_4XX"]; ok {
		t.Fatal("DEFAULT_4XX left after cors was removed")
	}
	if h := api.responses["UNAUTHORIZED"].ResponseParameters; len(h) != 1 {
		t.Fatalf("UNAUTHORIZED after cors was removed: got %v, want only its own header", h)
	}
}

// Binary media types default to */* on an API the provider creates, are
// changed with patch operations, and the integration timeout reaches every
// integration.
func TestAPIBinaryMediaTypesAndTimeoutAWSModel(t *testing.T) {
	a := newAPITest(t)
	cfg := apiConfig("portico", "", fnAuthA, fnAggA, types.StringNull())
	if _, err := a.apply(cfg); err != nil {
		t.Fatal(err)
	}
	api := a.model.apis[a.state.ID.ValueString()]
	if !slices.Equal(api.binary, []string{"*/*"}) {
		t.Fatalf("binary media types: got %v, want [*/*]", api.binary)
	}
	cfg.BinaryMediaTypes, _ = types.ListValueFrom(context.Background(), types.StringType, []string{"image/png", "application/octet-stream"})
	cfg.IntegrationTimeout = types.Int64Value(25000)
	plan, err := a.apply(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.DeploymentID.IsUnknown() {
		t.Fatal("plan: got no new deployment, want one (binary media types take effect with a deployment)")
	}
	got := slices.Sorted(slices.Values(api.binary))
	if !slices.Equal(got, []string{"application/octet-stream", "image/png"}) {
		t.Fatalf("binary media types after the update: got %v", got)
	}
	for key, integ := range api.integrations {
		if integ.timeoutMs != 25000 {
			t.Errorf("integration %s: got timeout %d ms, want 25000", key, integ.timeoutMs)
		}
	}
	if a.refresh(); a.state.IntegrationTimeout.ValueInt64() != 25000 {
		t.Fatalf("refresh: got integration_timeout_ms %v, want 25000", a.state.IntegrationTimeout)
	}
}

func TestFitsIntegration(t *testing.T) {
	tests := []struct {
		fn, integ int64
		ok        bool
	}{
		{28, 29000, true},
		{29, 29000, false}, // the 29 s function behind a 29 s integration
		{30, 29000, false},
		{44, 45000, true},
		{45, 45000, false},
	}
	for _, tt := range tests {
		err := fitsIntegration(tt.fn, tt.integ)
		if (err == nil) != tt.ok {
			t.Errorf("function %d s, integration %d ms: got %v, want ok %v", tt.fn, tt.integ, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "Endpoint request timed out") {
			t.Errorf("got %q, want the reason in the message", err)
		}
	}
}

func TestStagePatch(t *testing.T) {
	ops := func(o []apigwtypes.PatchOperation) []string {
		var out []string
		for _, op := range o {
			out = append(out, string(op.Op)+" "+aws.ToString(op.Path)+" "+aws.ToString(op.Value))
		}
		slices.Sort(out)
		return out
	}
	ctx := context.Background()
	data := &APIResourceModel{Tracing: types.BoolValue(true),
		AccessLog:  objectOf(ctx, accessLogAttrTypes, &accessLogModel{RetentionDays: types.Int64Value(7), CloudWatchRoleARN: types.StringNull()}),
		Throttling: objectOf(ctx, throttlingAttrTypes, &throttlingModel{RateLimit: types.Float64Value(100), BurstLimit: types.Int64Value(200)})}
	got := ops(stagePatch(ctx, data, &apigateway.GetStageOutput{}, "arn:aws:logs:us-east-1:1:log-group:x"))
	want := []string{
		"replace /*/*/throttling/burstLimit 200", "replace /*/*/throttling/rateLimit 100",
		"replace /accessLogSettings/destinationArn arn:aws:logs:us-east-1:1:log-group:x",
		"replace /accessLogSettings/format " + accessLogFormat, "replace /tracingEnabled true",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("from an empty stage: got %q, want %q", got, want)
	}
	same := &apigateway.GetStageOutput{TracingEnabled: true,
		AccessLogSettings: &apigwtypes.AccessLogSettings{DestinationArn: aws.String("arn:aws:logs:us-east-1:1:log-group:x"), Format: aws.String(accessLogFormat)},
		MethodSettings:    map[string]apigwtypes.MethodSetting{"*/*": {ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200}}}
	if got := ops(stagePatch(ctx, data, same, "arn:aws:logs:us-east-1:1:log-group:x")); len(got) != 0 {
		t.Fatalf("from the same stage: got %q, want nothing", got)
	}
	off := &APIResourceModel{Tracing: types.BoolValue(false), AccessLog: types.ObjectNull(accessLogAttrTypes), Throttling: types.ObjectNull(throttlingAttrTypes)}
	got = ops(stagePatch(ctx, off, same, ""))
	want = []string{"remove /*/* ", "remove /accessLogSettings ", "replace /tracingEnabled false"}
	if !slices.Equal(got, want) {
		t.Fatalf("turning everything off: got %q, want %q", got, want)
	}
}

// The access log format has what the issue asks of it.
func TestAccessLogFormat(t *testing.T) {
	for _, v := range []string{"$context.requestId", "$context.identity.sourceIp", "$context.authorizer.latency",
		"$context.authorizer.status", "$context.integration.latency", "$context.status"} {
		if !strings.Contains(accessLogFormat, v) {
			t.Errorf("access log format lacks %s", v)
		}
	}
}

func TestEffectiveResponsesRoundTrip(t *testing.T) {
	p := &cors.Policy{AllowOrigins: []string{"https://app.portico.local"}}
	configured := map[string]gatewayResponse{
		"ACCESS_DENIED": {StatusCode: "401", Headers: map[string]string{"WWW-Authenticate": "Bearer"}},
		"THROTTLED":     {StatusCode: "429"},
		"DEFAULT_5XX":   {StatusCode: "503", Headers: map[string]string{"Access-Control-Allow-Origin": "https://own.example"}},
	}
	eff := effectiveResponses(configured, p)
	if len(eff) != 4 {
		t.Fatalf("got %d responses, want the three configured and DEFAULT_4XX", len(eff))
	}
	if got := eff["DEFAULT_5XX"].Headers["Access-Control-Allow-Origin"]; got != "https://own.example" {
		t.Fatalf("a configured CORS header: got %q, want the configuration's", got)
	}
	static := corsStatic(p)
	for typ, r := range eff {
		back, missing := withoutCORS(r, static, configured[typ].Headers)
		if len(missing) != 0 {
			t.Errorf("%s: got missing %v, want none", typ, missing)
		}
		c, isConfigured := configured[typ]
		switch {
		case !isConfigured:
			if !isBareResponse(back) {
				t.Errorf("%s: got %+v back, want a bare response", typ, back)
			}
		case !back.equal(c):
			t.Errorf("%s: got %+v back, want %+v", typ, back, c)
		}
	}
	if got := effectiveResponses(configured, &cors.Policy{AllowOrigins: []string{"https://a.example", "https://b.example"}}); !maps.EqualFunc(got, configured, gatewayResponse.equal) {
		t.Fatalf("several origins: got %v, want the configured responses untouched", got)
	}
}
