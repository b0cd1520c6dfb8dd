//go:build e2e

package provider

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// accAPIConfig is a portico_api with its two functions; responses is the HCL
// of gateway_responses.
func accAPIConfig(name, zip string, ttl int, responses string) string {
	return accAPIConfigAs(name, name, zip, ttl, responses, "v1")
}

// accAPIConfigAs is accAPIConfig with the API named apiName on stage.
func accAPIConfigAs(name, apiName, zip string, ttl int, responses, stage string) string {
	return accProviderConfig() +
		accFunctionConfig("authorizer", name+"-authorizer", zip, 128, "authorizer") +
		accFunctionConfig("aggregator", name+"-aggregator", zip, 128, "aggregator") +
		fmt.Sprintf(`
resource "portico_api" "test" {
  name                    = %q
  authorizer_function_arn = portico_function.authorizer.arn
  aggregator_function_arn = portico_function.aggregator.arn
  authorizer_ttl          = %d
  stage_name              = %q
  gateway_responses       = %s
}
`, apiName, ttl, stage, responses)
}

const accResponsesV1 = `{
    UNAUTHORIZED = {
      status_code = "401"
      templates   = { "application/json" = jsonencode({ message = "Missing token" }) }
      headers     = { "WWW-Authenticate" = "Bearer realm=\"portico\"" }
    }
    THROTTLED = {
      status_code = "429"
    }
  }`

const accResponsesV2 = `{
    UNAUTHORIZED = {
      status_code = "401"
      templates   = { "application/json" = jsonencode({ message = "Token required" }) }
      headers     = { "WWW-Authenticate" = "Bearer realm=\"portico\"" }
    }
    ACCESS_DENIED = {
      status_code = "401"
      templates   = { "application/json" = jsonencode({ message = "$context.authorizer.message" }) }
      headers     = { "WWW-Authenticate" = "Bearer realm=\"portico\", error=\"invalid_token\"" }
    }
  }`

// accGatewayResponse reads one gateway response of API *apiID behind Terraform's back.
func accGatewayResponse(clients *Clients, apiID *string, typ string) (*apigateway.GetGatewayResponseOutput, error) {
	return clients.APIGateway.GetGatewayResponse(context.Background(), &apigateway.GetGatewayResponseInput{
		RestApiId: apiID, ResponseType: apigwtypes.GatewayResponseType(typ),
	})
}

// accCheckGatewayResponse checks a customized response as API Gateway holds it.
func accCheckGatewayResponse(clients *Clients, apiID *string, typ, status string, templates, params map[string]string) func(*terraform.State) error {
	return func(*terraform.State) error {
		out, err := accGatewayResponse(clients, apiID, typ)
		if err != nil {
			return fmt.Errorf("get gateway response %s: %w", typ, err)
		}
		if out.DefaultResponse {
			return fmt.Errorf("gateway response %s: got defaultResponse=true, want a customized response", typ)
		}
		if got := aws.ToString(out.StatusCode); got != status {
			return fmt.Errorf("gateway response %s status: got %q, want %q", typ, got, status)
		}
		if !maps.Equal(out.ResponseTemplates, templates) {
			return fmt.Errorf("gateway response %s templates: got %v, want %v", typ, out.ResponseTemplates, templates)
		}
		if !maps.Equal(out.ResponseParameters, params) {
			return fmt.Errorf("gateway response %s parameters: got %v, want %v", typ, out.ResponseParameters, params)
		}
		return nil
	}
}

// accCheckGatewayResponseDefault checks that a response type is not customized.
func accCheckGatewayResponseDefault(clients *Clients, apiID *string, typ string) func(*terraform.State) error {
	return func(*terraform.State) error {
		out, err := accGatewayResponse(clients, apiID, typ)
		if err != nil {
			return fmt.Errorf("get gateway response %s: %w", typ, err)
		}
		if !out.DefaultResponse {
			return fmt.Errorf("gateway response %s: got a customized response (status %s), want the default", typ, aws.ToString(out.StatusCode))
		}
		return nil
	}
}

// accCheckStageDeployment checks that the stage serves the deployment in state.
func accCheckStageDeployment(clients *Clients, addr string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		rs := s.RootModule().Resources[addr]
		if rs == nil {
			return fmt.Errorf("%s: not in state", addr)
		}
		a := rs.Primary.Attributes
		out, err := clients.APIGateway.GetStage(context.Background(), &apigateway.GetStageInput{
			RestApiId: aws.String(a["id"]), StageName: aws.String(a["stage_name"]),
		})
		if err != nil {
			return fmt.Errorf("get stage %s: %w", a["stage_name"], err)
		}
		if got := aws.ToString(out.DeploymentId); got != a["deployment_id"] {
			return fmt.Errorf("stage %s deployment: got %s, want %s (deployment_id in state)", a["stage_name"], got, a["deployment_id"])
		}
		return nil
	}
}

func TestAccAPI(t *testing.T) {
	name := accName("api")
	clients := accClients(t)
	zip, _ := accLambdaZip(t, "api")
	const addr = "portico_api.test"
	var apiID, firstDeployment string
	unauthorizedHeader := map[string]string{"gatewayresponse.header.WWW-Authenticate": `'Bearer realm="portico"'`}

	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			accCheckGone("portico_api", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
				_, err := clients.APIGateway.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(id)})
				return accGone(err)
			}),
			accCheckFunctionGone(clients),
		),
		Steps: []resource.TestStep{
			{
				Config: accAPIConfig(name, zip, 300, accResponsesV1),
				Check: resource.ComposeAggregateTestCheckFunc(
					accCaptureID(addr, &apiID),
					func(s *terraform.State) error {
						firstDeployment = s.RootModule().Resources[addr].Primary.Attributes["deployment_id"]
						return nil
					},
					resource.TestCheckResourceAttr(addr, "name", name),
					resource.TestCheckResourceAttr(addr, "stage_name", defaultStageName),
					resource.TestCheckResourceAttr(addr, "authorizer_ttl", "300"),
					resource.TestCheckResourceAttrPair(addr, "authorizer_function_arn", "portico_function.authorizer", "arn"),
					resource.TestCheckResourceAttrPair(addr, "aggregator_function_arn", "portico_function.aggregator", "arn"),
					resource.TestCheckResourceAttrSet(addr, "proxy_resource_id"),
					resource.TestCheckResourceAttrSet(addr, "authorizer_id"),
					resource.TestMatchResourceAttr(addr, "invoke_url", regexpMust(`/_aws/execute-api/[a-z0-9]+/v1$`)),
					resource.TestCheckResourceAttr(addr, "gateway_responses.%", "2"),
					resource.TestCheckResourceAttr(addr, "gateway_responses.UNAUTHORIZED.status_code", "401"),
					resource.TestCheckResourceAttr(addr, "gateway_responses.UNAUTHORIZED.headers.WWW-Authenticate", `Bearer realm="portico"`),
					resource.TestCheckResourceAttr(addr, "gateway_responses.THROTTLED.status_code", "429"),
					resource.TestCheckNoResourceAttr(addr, "gateway_responses.THROTTLED.templates.%"),
					accCheckGatewayResponse(clients, &apiID, "UNAUTHORIZED", "401",
						map[string]string{"application/json": `{"message":"Missing token"}`}, unauthorizedHeader),
					accCheckGatewayResponseDefault(clients, &apiID, "ACCESS_DENIED"),
					accCheckStageDeployment(clients, addr),
				),
			},
			accImportCommand(addr, ""),
			accImportBlock(addr, ""),
			{
				Config: accAPIConfig(name, zip, 60, accResponsesV2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "authorizer_ttl", "60"),
					resource.TestCheckResourceAttr(addr, "gateway_responses.%", "2"),
					resource.TestCheckResourceAttr(addr, "gateway_responses.ACCESS_DENIED.headers.WWW-Authenticate",
						`Bearer realm="portico", error="invalid_token"`),
					accCheckGatewayResponse(clients, &apiID, "UNAUTHORIZED", "401",
						map[string]string{"application/json": `{"message":"Token required"}`}, unauthorizedHeader),
					accCheckGatewayResponse(clients, &apiID, "ACCESS_DENIED", "401",
						map[string]string{"application/json": `{"message":"$context.authorizer.message"}`},
						map[string]string{"gatewayresponse.header.WWW-Authenticate": `'Bearer realm="portico", error="invalid_token"'`}),
					accCheckGatewayResponseDefault(clients, &apiID, "THROTTLED"),
					func(s *terraform.State) error {
						if got := s.RootModule().Resources[addr].Primary.Attributes["deployment_id"]; got == firstDeployment {
							return fmt.Errorf("deployment_id: got %s again, want a new deployment after the update", got)
						}
						return nil
					},
					accCheckStageDeployment(clients, addr),
				),
			},
			{
				// Drift: a response reset and another customized outside Terraform.
				PreConfig: func() {
					ctx := context.Background()
					if _, err := clients.APIGateway.DeleteGatewayResponse(ctx, &apigateway.DeleteGatewayResponseInput{
						RestApiId: aws.String(apiID), ResponseType: apigwtypes.GatewayResponseTypeAccessDenied,
					}); err != nil {
						t.Fatalf("delete ACCESS_DENIED behind Terraform's back: %v", err)
					}
					if _, err := clients.APIGateway.PutGatewayResponse(ctx, &apigateway.PutGatewayResponseInput{
						RestApiId: aws.String(apiID), ResponseType: apigwtypes.GatewayResponseTypeDefault4xx, StatusCode: aws.String("400"),
					}); err != nil {
						t.Fatalf("put DEFAULT_4XX behind Terraform's back: %v", err)
					}
				},
				Config: accAPIConfig(name, zip, 60, accResponsesV2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					accCheckGatewayResponse(clients, &apiID, "ACCESS_DENIED", "401",
						map[string]string{"application/json": `{"message":"$context.authorizer.message"}`},
						map[string]string{"gatewayresponse.header.WWW-Authenticate": `'Bearer realm="portico", error="invalid_token"'`}),
					accCheckGatewayResponseDefault(clients, &apiID, "DEFAULT_4XX"),
					accCheckStageDeployment(clients, addr),
				),
			},
			{
				// A rename and a new stage update in place: the same API, the
				// new stage deployed and the old one deleted.
				Config: accAPIConfigAs(name, name+"-renamed", zip, 60, accResponsesV2, "v2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPtr(addr, "id", &apiID),
					resource.TestCheckResourceAttr(addr, "name", name+"-renamed"),
					resource.TestMatchResourceAttr(addr, "invoke_url", regexpMust(`/_aws/execute-api/[a-z0-9]+/v2$`)),
					accCheckStageDeployment(clients, addr),
					func(*terraform.State) error {
						out, err := clients.APIGateway.GetRestApi(context.Background(), &apigateway.GetRestApiInput{RestApiId: aws.String(apiID)})
						if err != nil || aws.ToString(out.Name) != name+"-renamed" {
							return fmt.Errorf("REST API %s: got %v, %v; want it renamed in place", apiID, out, err)
						}
						_, err = clients.APIGateway.GetStage(context.Background(), &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String("v1")})
						if !isNotFound(err) {
							return fmt.Errorf("stage v1 after the move: got %v, want it deleted", err)
						}
						return nil
					},
				),
			},
		},
	})
}
