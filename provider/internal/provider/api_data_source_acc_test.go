//go:build e2e

package provider

import (
	"context"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccAPIDataSource(t *testing.T) {
	name := accName("apids")
	clients := accClients(t)
	zip, _ := accLambdaZip(t, "api data source")
	api := accAPIConfig(name, zip, 300, "null")
	const data = "data.portico_api.test"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: accCheckGone("portico_api", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
			_, err := clients.APIGateway.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(id)})
			return accGone(err)
		}),
		Steps: []resource.TestStep{
			{
				Config: api + `
data "portico_api" "test" {
  id = portico_api.test.id
}
`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttrPair(data, "id", "portico_api.test", "id"),
					resource.TestCheckResourceAttr(data, "name", name),
					resource.TestCheckResourceAttr(data, "stage_name", defaultStageName),
					resource.TestCheckResourceAttrPair(data, "invoke_url", "portico_api.test", "invoke_url"),
					resource.TestCheckResourceAttrPair(data, "execution_arn", "portico_api.test", "execution_arn"),
				),
			},
			{
				Config: api + `
data "portico_api" "test" {
  id         = portico_api.test.id
  stage_name = "prod"
}
`,
				ExpectError: regexp.MustCompile(`has no stage "prod"; its stages are v1`),
			},
			{
				Config: api + `
data "portico_api" "missing" {
  id = "nosuchapi0"
}
`,
				ExpectError: regexp.MustCompile(`There is no REST API with id "nosuchapi0"`),
			},
		},
	})
}
