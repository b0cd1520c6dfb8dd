//go:build e2e

package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func TestAccRouteTable(t *testing.T) {
	table := accName("routes")
	clients := accClients(t)
	config := func(service, timeout string, integration ...int) string {
		integrationLine := ""
		if len(integration) > 0 {
			integrationLine = fmt.Sprintf("integration_timeout_ms = %d", integration[0])
		}
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_table" "state" {
  name     = %q
  hash_key = "pk"
}

resource "portico_route_table" "test" {
  table_name = portico_table.state.name
  %s
  document = jsonencode({
    version  = 1
    revision = "acc"
    routes = [{
      id          = "users"
      match       = { pathPrefix = "/api/v1/users" }
      service     = %q
      stripPrefix = "/api/v1"
      timeout     = %q
    }]
  })
}
`, table, integrationLine, service, timeout)
	}
	stored := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			out, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
				TableName: aws.String(table),
				Key:       map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "config#routes"}},
			})
			if err != nil {
				return err
			}
			doc, _ := out.Item["document"].(*ddbtypes.AttributeValueMemberS)
			if doc == nil || !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(doc.Value) {
				return fmt.Errorf("stored document: got %v, want one containing %s", out.Item["document"], want)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: accCheckGone("portico_table", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
			_, err := clients.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(id)})
			return accGone(err)
		}),
		Steps: []resource.TestStep{
			{
				Config:      config("user service", "5s"),
				ExpectError: regexp.MustCompile(`Invalid route table`),
				PlanOnly:    true,
			},
			{
				Config: config("user-service", "5s"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_route_table.test", "id", table),
					resource.TestCheckResourceAttr("portico_route_table.test", "key", "config#routes"),
					stored(`"service":"user-service"`),
				),
			},
			accImportCommand("portico_route_table.test", table),
			accImportBlock("portico_route_table.test", table),
			{
				// 30 s does not fit behind API Gateway's 29 s: refused at plan time.
				Config:      config("api-v2-service", "30s"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Route timeout beyond API Gateway's[\s\S]*route "users": timeout 30s`),
			},
			{
				// It fits behind an integration timeout raised to 32 s.
				Config: config("api-v2-service", "30s", 32000),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_route_table.test", plancheck.ResourceActionUpdate)},
				},
				Check: stored(`"service":"api-v2-service"`),
			},
			{
				// Drift: the item is overwritten behind Terraform's back; the plan writes it back.
				PreConfig: func() {
					_, err := clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
						"pk":       &ddbtypes.AttributeValueMemberS{Value: "config#routes"},
						"document": &ddbtypes.AttributeValueMemberS{Value: `{"version":1,"routes":[{"id":"x","match":{"pathPrefix":"/x"},"service":"x"}]}`},
					}})
					if err != nil {
						t.Fatalf("overwrite the route table behind Terraform's back: %v", err)
					}
				},
				Config: config("api-v2-service", "30s", 32000),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_route_table.test", plancheck.ResourceActionUpdate)},
				},
				Check: stored(`"service":"api-v2-service"`),
			},
		},
	})
}
