//go:build e2e

package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/portico-gw/portico/internal/statetable"
)

// portico_auth_settings writes the authorizer's settings where the authorizer
// reads them and bumps the configuration's revision; settings the authorizer
// would refuse fail the plan; it imports, updates in place, and repairs a
// change made behind Terraform's back.
func TestAccAuthSettingsResource(t *testing.T) {
	table := accName("authset")
	clients := accClients(t)
	const addr = "portico_auth_settings.test"
	config := func(issuer string, algorithms string) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_table" "t" {
  name     = %q
  hash_key = "pk"
}

resource "portico_auth_settings" "test" {
  table_name = portico_table.t.name
  document = jsonencode({
    issuers = [{ issuer = %q, audiences = ["portico"], algorithms = %s, jwksUrl = "https://id.example.com/jwks.json" }]
    cacheTtlSeconds = 60
  })
}
`, table, issuer, algorithms)
	}
	get := func(key string) (map[string]ddbtypes.AttributeValue, error) {
		out, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table),
			Key: map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: key}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, err
		}
		return out.Item, nil
	}
	var lastRev string
	stored := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			item, err := get(statetable.AuthKey)
			if err != nil {
				return err
			}
			doc, _ := item[statetable.DocumentAttr].(*ddbtypes.AttributeValueMemberS)
			if doc == nil || !strings.Contains(doc.Value, want) {
				return fmt.Errorf("settings in DynamoDB: got %v, want a document containing %s", item, want)
			}
			rev, err := get(statetable.RevisionKey)
			if err != nil {
				return err
			}
			n, _ := rev[statetable.RevisionAttr].(*ddbtypes.AttributeValueMemberN)
			if n == nil || n.Value == lastRev {
				return fmt.Errorf("revision: got %v, want one the write moved from %q", rev, lastRev)
			}
			lastRev = n.Value
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{Config: config("https://id.example.com", `["HS256"]`), ExpectError: regexp.MustCompile(`HS256`)},
			{Config: config("https://id.example.com", `["RS256"]`), Check: stored(`"issuer":"https://id.example.com"`)},
			accImportCommand(addr, table),
			{
				Config: config("https://id2.example.com", `["RS256"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: stored(`"issuer":"https://id2.example.com"`),
			},
			{
				// Drift: the settings are overwritten behind Terraform's back.
				PreConfig: func() {
					clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
						statetable.KeyAttr:      &ddbtypes.AttributeValueMemberS{Value: statetable.AuthKey},
						statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: `{"issuers":[]}`},
					}})
				},
				Config: config("https://id2.example.com", `["RS256"]`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: stored(`"issuer":"https://id2.example.com"`),
			},
		},
	})
}
