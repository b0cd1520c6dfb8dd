//go:build e2e

package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/portico-gw/portico/internal/apikey"
)

// TestAccConditionalCreates writes an API key, a limits document and a
// descriptor set into the state table behind Terraform's back (as another
// stack would), then checks that creating each refuses to overwrite it with
// an import hint, and that the hinted import block adopts it with an empty
// plan.
func TestAccConditionalCreates(t *testing.T) {
	table := accName("cond")
	clients := accClients(t)
	set, err := filepath.Abs(paymentsSet)
	if err != nil {
		t.Fatal(err)
	}
	setBytes, err := os.ReadFile(set)
	if err != nil {
		t.Fatal(err)
	}
	hash := apikey.Hash("another-stacks-key-" + table)
	// jsonencode's spelling of the limits below.
	const limitsDoc = `{"rules":[{"dimension":"ip","name":"ip","requests":100,"window":"1m"}],"version":1}`
	tableConfig := accProviderConfig() + fmt.Sprintf(`
resource "portico_table" "t" {
  name     = %q
  hash_key = "pk"
}
`, table)
	keyConfig := fmt.Sprintf(`
resource "portico_api_key" "k" {
  table_name = portico_table.t.name
  name       = "partner"
  tier       = "pro"
  key_hash   = %q
}
`, hash)
	limitsConfig := `
resource "portico_limits" "l" {
  table_name = portico_table.t.name
  document   = jsonencode({ version = 1, rules = [{ name = "ip", dimension = "ip", requests = 100, window = "1m" }] })
}
`
	setConfig := fmt.Sprintf(`
resource "portico_grpc_descriptors" "d" {
  table_name  = portico_table.t.name
  name        = "payments"
  filename    = %q
  source_hash = filebase64sha256(%q)
}
`, set, set)
	put := func(item map[string]ddbtypes.AttributeValue) error {
		_, err := clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
		return err
	}
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{
				Config: tableConfig,
				Check: func(*terraform.State) error {
					for _, item := range []map[string]ddbtypes.AttributeValue{
						{"pk": s("apikey#" + hash), "name": s("partner"), "tier": s("pro"), "enabled": &ddbtypes.AttributeValueMemberBOOL{Value: true}},
						{"pk": s(limitsKey), "document": s(limitsDoc)},
						{"pk": s("config#descriptors#payments"), "descriptors": &ddbtypes.AttributeValueMemberB{Value: setBytes}, "filename": s(set)},
					} {
						if err := put(item); err != nil {
							return fmt.Errorf("write behind Terraform's back: %w", err)
						}
					}
					return nil
				},
			},
			// Each create is refused with the hint; the hinted import adopts
			// the item, and the next plan is empty.
			{Config: tableConfig + keyConfig, ExpectError: regexp.MustCompile(`(?s)already\s+holds\s+an\s+API\s+key.*terraform\s+import\s+<address>\s+` + table + `/` + hash)},
			accAdopt("portico_api_key.k", table+"/"+hash, tableConfig+keyConfig),
			{Config: tableConfig + keyConfig, PlanOnly: true},
			{Config: tableConfig + keyConfig + limitsConfig, ExpectError: regexp.MustCompile(`(?s)already\s+holds\s+a\s+limits\s+document.*terraform\s+import\s+<address>\s+` + table)},
			accAdopt("portico_limits.l", table, tableConfig+keyConfig+limitsConfig),
			{Config: tableConfig + keyConfig + limitsConfig, PlanOnly: true},
			{Config: tableConfig + keyConfig + limitsConfig + setConfig, ExpectError: regexp.MustCompile(`(?s)already\s+holds\s+a\s+descriptor\s+set\s+named\s+"payments".*terraform\s+import\s+<address>\s+` + table + `/payments`)},
			accAdopt("portico_grpc_descriptors.d", table+"/payments", tableConfig+keyConfig+limitsConfig+setConfig),
			{Config: tableConfig + keyConfig + limitsConfig + setConfig, PlanOnly: true},
		},
	})
}

// accAdopt imports addr into the test's state with the import command, as
// the refusal's hint says.
func accAdopt(addr, id, config string) resource.TestStep {
	return resource.TestStep{Config: config, ResourceName: addr, ImportState: true, ImportStateId: id, ImportStatePersist: true}
}
