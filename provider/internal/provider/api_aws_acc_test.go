//go:build e2e

package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// accDay1Config is a portico_api with everything a first real deployment
// sets: binary media types by default, an integration timeout the aggregator
// fits in, CORS, access log, throttling, tracing and tags. settings is the
// HCL of those settings.
func accDay1Config(name, zip, settings string) string {
	return accProviderConfigWith(accDefaultTags) +
		accFunctionConfig("authorizer", name+"-authorizer", zip, 128, "authorizer") +
		accFunctionConfig("aggregator", name+"-aggregator", zip, 128, "aggregator") +
		fmt.Sprintf(`
resource "portico_lambda_role" "apigw_logs" {
  name    = "%[1]s-apigw-logs"
  service = "apigateway.amazonaws.com"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups"], Resource = "*" }]
  })
}

resource "portico_api" "test" {
  name                    = %[1]q
  authorizer_function_arn = portico_function.authorizer.arn
  aggregator_function_arn = portico_function.aggregator.arn
  %[2]s
}
`, name, settings)
}

const accDay1Settings = `
  integration_timeout_ms = 25000
  aggregator_timeout     = portico_function.aggregator.timeout
  tracing                = true
  tags                   = { api = "day1" }
  cors = {
    allow_origins  = ["https://app.portico.local"]
    allow_methods  = ["GET", "POST", "DELETE"]
    allow_headers  = ["Authorization", "Content-Type"]
    expose_headers = ["X-Request-Id"]
    max_age        = 600
  }
  access_log = {
    retention_days      = 7
    cloudwatch_role_arn = portico_lambda_role.apigw_logs.arn
  }
  throttling = {
    rate_limit  = 50
    burst_limit = 100
  }`

func TestAccAPIDayOneSettings(t *testing.T) {
	ctx := context.Background()
	name := accName("day1")
	clients := accClients(t)
	zip, _ := accLambdaZip(t, "day1")
	const addr = "portico_api.test"
	var apiID string
	stageOf := func() *apigateway.GetStageOutput {
		out, err := clients.APIGateway.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("v1")})
		if err != nil {
			t.Fatalf("get stage: %v", err)
		}
		return out
	}
	checkAWS := func(s *terraform.State) error {
		apiID = s.RootModule().Resources[addr].Primary.ID
		attrs := s.RootModule().Resources[addr].Primary.Attributes
		api, err := clients.APIGateway.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)})
		if err != nil {
			return err
		}
		if !slices.Equal(api.BinaryMediaTypes, []string{"*/*"}) {
			return fmt.Errorf("binary media types: got %v, want [*/*]", api.BinaryMediaTypes)
		}
		// Tags through GetTags, where TagResource puts them (MiniStack's
		// GetRestApi and GetStage show only the tags given at creation).
		tagsOf := func(path string) map[string]string {
			out, err := clients.APIGateway.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::" + path)})
			if err != nil {
				t.Fatalf("get tags of %s: %v", path, err)
			}
			return visibleTags(out.Tags)
		}
		want := map[string]string{"team": "edge", "env": "acc", "api": "day1"}
		if got := tagsOf("/restapis/" + apiID); !maps.Equal(got, want) {
			return fmt.Errorf("API tags: got %v, want %v", got, want)
		}
		if got := tagsOf("/restapis/" + apiID + "/stages/v1"); !maps.Equal(got, want) {
			return fmt.Errorf("stage tags: got %v, want %v", got, want)
		}
		for _, res := range []string{attrs["root_resource_id"], attrs["proxy_resource_id"]} {
			integ, err := clients.APIGateway.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: aws.String(apiID), ResourceId: aws.String(res), HttpMethod: aws.String("ANY")})
			if err != nil {
				return err
			}
			if integ.TimeoutInMillis != 25000 {
				return fmt.Errorf("integration ANY on %s: got timeout %d, want 25000", res, integ.TimeoutInMillis)
			}
			m, err := clients.APIGateway.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String(res), HttpMethod: aws.String("OPTIONS")})
			if err != nil {
				return fmt.Errorf("OPTIONS on %s: %w", res, err)
			}
			if got := aws.ToString(m.AuthorizationType); got != "NONE" {
				return fmt.Errorf("OPTIONS on %s: got authorization %s, want NONE (preflights carry no token)", res, got)
			}
		}
		for _, typ := range []string{"DEFAULT_4XX", "DEFAULT_5XX"} {
			gr, err := accGatewayResponse(clients, aws.String(apiID), typ)
			if err != nil {
				return err
			}
			if got := gr.ResponseParameters["gatewayresponse.header.Access-Control-Allow-Origin"]; got != "'https://app.portico.local'" {
				return fmt.Errorf("%s Access-Control-Allow-Origin: got %q", typ, got)
			}
		}
		st := stageOf()
		if !st.TracingEnabled {
			return fmt.Errorf("stage tracing: off, want on")
		}
		if ms := st.MethodSettings["*/*"]; ms.ThrottlingRateLimit != 50 || ms.ThrottlingBurstLimit != 100 {
			return fmt.Errorf("stage throttling: got %+v, want 50/100", ms)
		}
		lg, found, err := readLogGroup(ctx, clients.Logs, accessLogGroup(apiID, "v1"))
		if err != nil || !found || lg.RetentionDays != 7 {
			return fmt.Errorf("access log group: got %+v found %v err %v, want retention 7", lg, found, err)
		}
		if st.AccessLogSettings == nil || aws.ToString(st.AccessLogSettings.DestinationArn) != lg.ARN || aws.ToString(st.AccessLogSettings.Format) != accessLogFormat {
			return fmt.Errorf("stage access log: got %+v, want %s with Portico's format", st.AccessLogSettings, lg.ARN)
		}
		acct, err := clients.APIGateway.GetAccount(ctx, &apigateway.GetAccountInput{})
		if err != nil {
			return err
		}
		if got := aws.ToString(acct.CloudwatchRoleArn); got != s.RootModule().Resources["portico_lambda_role.apigw_logs"].Primary.Attributes["arn"] {
			return fmt.Errorf("account CloudWatch role: got %q", got)
		}
		return nil
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{
				// An aggregator that runs as long as API Gateway waits: refused at plan time.
				Config:      accDay1Config(name, zip, `integration_timeout_ms = 10000`+"\n  aggregator_timeout = 10"),
				PlanOnly:    true,
				ExpectError: regexpMust(`Aggregator timeout does not fit API Gateway.s[\s\S]*Endpoint\s+request\s+timed\s+out`),
			},
			{
				Config:      accDay1Config(name, zip, `cors = { allow_origins = ["*"], allow_credentials = true }`),
				PlanOnly:    true,
				ExpectError: regexpMust(`Invalid CORS policy[\s\S]*browsers refuse credentials for a\s+wildcard\s+origin`),
			},
			{
				Config: accDay1Config(name, zip, accDay1Settings),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "binary_media_types.#", "1"),
					resource.TestCheckResourceAttr(addr, "binary_media_types.0", "*/*"),
					resource.TestCheckResourceAttr(addr, "integration_timeout_ms", "25000"),
					resource.TestCheckResourceAttr(addr, "tracing", "true"),
					resource.TestCheckResourceAttr(addr, "tags_all.%", "3"),
					resource.TestMatchResourceAttr(addr, "access_log_group_name", regexpMust(`^/aws/apigateway/[^/]+/v1/access$`)),
					checkAWS,
				),
			},
			{
				// Drift: the aggregator's permission removed (as when the
				// function is replaced under its name), binary media types
				// cleared, throttling and tracing off, a gateway response's
				// CORS headers dropped, a stage tag changed. Every one shows
				// in the plan, and the apply puts them back.
				PreConfig: func() {
					fn := name + "-aggregator"
					if _, err := clients.Lambda.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(fn), StatementId: aws.String(statementID(apiID, "aggregator"))}); err != nil {
						t.Fatalf("remove the aggregator's permission: %v", err)
					}
					if _, err := clients.APIGateway.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: aws.String(apiID), PatchOperations: []apigwtypes.PatchOperation{
						{Op: apigwtypes.OpRemove, Path: aws.String("/binaryMediaTypes/*~1*")}}}); err != nil {
						t.Fatalf("clear binary media types: %v", err)
					}
					if _, err := clients.APIGateway.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String("v1"), PatchOperations: []apigwtypes.PatchOperation{
						{Op: apigwtypes.OpReplace, Path: aws.String("/tracingEnabled"), Value: aws.String("false")},
						{Op: apigwtypes.OpRemove, Path: aws.String("/*/*")}}}); err != nil {
						t.Fatalf("change the stage: %v", err)
					}
					if _, err := clients.APIGateway.DeleteGatewayResponse(ctx, &apigateway.DeleteGatewayResponseInput{RestApiId: aws.String(apiID), ResponseType: apigwtypes.GatewayResponseTypeDefault4xx}); err != nil {
						t.Fatalf("reset DEFAULT_4XX: %v", err)
					}
					if _, err := clients.APIGateway.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String("arn:aws:apigateway:us-east-1::/restapis/" + apiID + "/stages/v1"),
						Tags: map[string]string{"env": "console"}}); err != nil {
						t.Fatalf("tag the stage: %v", err)
					}
				},
				Config: accDay1Config(name, zip, accDay1Settings),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(checkAWS, func(*terraform.State) error {
					fn := name + "-aggregator"
					out, err := clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
					if err != nil {
						return err
					}
					ok, err := hasStatement(ctx, clients.Lambda, lambdaPermission{Function: aws.ToString(out.Configuration.FunctionArn),
						StatementID: statementID(apiID, "aggregator"), SourceARN: ":" + apiID + "/*"})
					if err != nil || !ok {
						return fmt.Errorf("aggregator permission after repair: present %v, %v", ok, err)
					}
					return nil
				}),
			},
			{
				// Nothing left to do: the plan is empty.
				Config:   accDay1Config(name, zip, accDay1Settings),
				PlanOnly: true,
			},
			{
				// Back to the defaults: OPTIONS, the CORS responses, the
				// stage settings and the access log group go.
				Config: accDay1Config(name, zip, ""),
				Check: func(s *terraform.State) error {
					root := s.RootModule().Resources[addr].Primary.Attributes["root_resource_id"]
					if _, err := clients.APIGateway.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(apiID), ResourceId: aws.String(root), HttpMethod: aws.String("OPTIONS")}); !isNotFound(err) {
						return fmt.Errorf("OPTIONS / after cors was removed: got %v, want not found", err)
					}
					st := stageOf()
					if st.TracingEnabled || (st.AccessLogSettings != nil && aws.ToString(st.AccessLogSettings.DestinationArn) != "") {
						return fmt.Errorf("stage after the settings were removed: tracing %v, access log %+v", st.TracingEnabled, st.AccessLogSettings)
					}
					if _, found, _ := readLogGroup(ctx, clients.Logs, accessLogGroup(apiID, "v1")); found {
						return fmt.Errorf("access log group left after access_log was removed")
					}
					return nil
				},
			},
		},
	})
}
