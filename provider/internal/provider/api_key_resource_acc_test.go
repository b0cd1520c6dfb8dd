//go:build e2e

package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/portico-gw/portico/internal/apikey"
)

func TestAccAPIKey(t *testing.T) {
	table := accName("keys")
	clients := accClients(t)
	key := "e2e-" + strings.Repeat("k", 30)
	hash := apikey.Hash(key)
	otherHash := apikey.Hash("kept-in-a-vault-" + strings.Repeat("v", 20))
	config := func(tier string, enabled bool) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_table" "t" {
  name     = %q
  hash_key = "pk"
}

resource "portico_api_key" "test" {
  table_name = portico_table.t.name
  name       = "partner-acme"
  key        = %q
  tier       = %q
  enabled    = %t
}

resource "portico_api_key" "generated" {
  table_name = portico_table.t.name
  name       = "generated"
  tier       = "free"
  generate   = true
}

resource "portico_api_key" "hashed" {
  table_name = portico_table.t.name
  name       = "kept-elsewhere"
  tier       = "enterprise"
  key_hash   = %q
}
`, table, key, tier, enabled, otherHash)
	}
	item := func(h string) (map[string]ddbtypes.AttributeValue, error) {
		out, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key:       map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "apikey#" + h}},
		})
		if err != nil {
			return nil, err
		}
		return out.Item, nil
	}
	checkItem := func(tier string, enabled bool) resource.TestCheckFunc {
		return func(*terraform.State) error {
			it, err := item(hash)
			if err != nil {
				return err
			}
			gotTier, _ := it["tier"].(*ddbtypes.AttributeValueMemberS)
			gotEnabled, _ := it["enabled"].(*ddbtypes.AttributeValueMemberBOOL)
			if gotTier == nil || gotTier.Value != tier || gotEnabled == nil || gotEnabled.Value != enabled {
				return fmt.Errorf("item in DynamoDB: got %v, want tier %s enabled %t", it, tier, enabled)
			}
			if _, ok := it["key"]; ok {
				return fmt.Errorf("item stores the key itself, want only its hash")
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: accCheckGone("portico_api_key", func(ctx context.Context, _ string, attrs map[string]string) (bool, error) {
			it, err := item(attrs["key_hash"])
			if err != nil {
				return accGone(err)
			}
			return len(it) > 0, nil
		}),
		Steps: []resource.TestStep{
			{
				Config: config("pro", true),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_api_key.test", "key_hash", hash),
					resource.TestCheckResourceAttr("portico_api_key.test", "id", table+"/"+hash),
					resource.TestMatchResourceAttr("portico_api_key.generated", "key", regexpMust(`^[A-Za-z0-9_-]{43}$`)),
					// Given as key_hash, nothing secret is in state.
					resource.TestCheckResourceAttr("portico_api_key.hashed", "key_hash", otherHash),
					resource.TestCheckNoResourceAttr("portico_api_key.hashed", "key"),
					checkItem("pro", true),
				),
			},
			accImportCommand("portico_api_key.hashed", table+"/"+otherHash),
			accImportBlock("portico_api_key.hashed", table+"/"+otherHash),
			{
				// Imported, and configured with the key itself: the key cannot
				// be read back, so the plan records it in state, in place; the
				// item is not replaced (no 403 for its clients).
				ResourceName: "portico_api_key.test", ImportState: true, ImportStateId: table + "/" + hash,
				ImportStateKind: resource.ImportBlockWithID, ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("portico_api_key.test", plancheck.ResourceActionUpdate),
				}},
			},
			{
				Config: config("enterprise", false),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_api_key.test", plancheck.ResourceActionUpdate)},
				},
				Check: checkItem("enterprise", false),
			},
			{
				// Drift: the item is deleted behind Terraform's back; the plan re-creates it.
				PreConfig: func() {
					clients.DynamoDB.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{
						TableName: aws.String(table),
						Key:       map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "apikey#" + hash}},
					})
				},
				Config: config("enterprise", false),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_api_key.test", plancheck.ResourceActionCreate)},
				},
				Check: checkItem("enterprise", false),
			},
		},
	})
}
