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

func TestAccLimits(t *testing.T) {
	table := accName("limits")
	clients := accClients(t)
	const addr = "portico_limits.test"
	config := func(perMinute int, window string) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_table" "t" {
  name     = %q
  hash_key = "pk"
}

resource "portico_limits" "test" {
  table_name = portico_table.t.name
  document = jsonencode({
    version = 1
    rules = [
      { name = "ip", dimension = "ip", requests = %d, window = %q, failMode = "open" },
      { name = "tier-free", dimension = "tier", tier = "free", requests = 100, window = "1h" },
    ]
  })
}
`, table, perMinute, window)
	}
	stored := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			out, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
				TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: limitsKey}},
			})
			if err != nil {
				return err
			}
			doc, _ := out.Item["document"].(*ddbtypes.AttributeValueMemberS)
			if doc == nil || !regexp.MustCompile(want).MatchString(doc.Value) {
				return fmt.Errorf("document in DynamoDB: got %v, want it to match %s", out.Item["document"], want)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{Config: config(100, "2 minutes"), ExpectError: regexp.MustCompile(`window "2 minutes"`)},
			{Config: config(100, "1m"), Check: stored(`"requests":100`)},
			accImportCommand(addr, table),
			accImportBlock(addr, table),
			{
				Config: config(50, "1m"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: stored(`"requests":50`),
			},
			{
				// Drift: the item is overwritten behind Terraform's back.
				PreConfig: func() {
					clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
						"pk": &ddbtypes.AttributeValueMemberS{Value: limitsKey}, "document": &ddbtypes.AttributeValueMemberS{Value: `{"version":1,"rules":[]}`},
					}})
				},
				Config: config(50, "1m"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: stored(`"requests":50`),
			},
		},
	})
}
