//go:build e2e

package provider

import (
	"bytes"
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
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// TestAccGRPCDescriptors stores the demo payment service's descriptor set,
// imports it, replaces it with another set, repairs drift, and checks a
// route table against it at plan time.
func TestAccGRPCDescriptors(t *testing.T) {
	table := accName("grpcdesc")
	clients := accClients(t)
	const addr = "portico_grpc_descriptors.test"
	payments, err := filepath.Abs(paymentsSet)
	if err != nil {
		t.Fatal(err)
	}
	other, err := filepath.Abs(testSet)
	if err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.binpb")
	if err := os.WriteFile(garbage, []byte("not a descriptor set"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := func(file, routes string) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_table" "t" {
  name     = %q
  hash_key = "pk"
}

resource "portico_grpc_descriptors" "test" {
  table_name  = portico_table.t.name
  name        = "payments"
  filename    = %q
  source_hash = filebase64sha256(%q)
}
`, table, file, file) + routes
	}
	routes := func(method string) string {
		return fmt.Sprintf(`
resource "portico_route_table" "r" {
  table_name  = portico_table.t.name
  descriptors = { payments = portico_grpc_descriptors.test.filename }
  document = jsonencode({
    version = 1
    routes = [{
      id    = "charge"
      match = { path = "/api/v1/payments", methods = ["POST"] }
      grpc  = { service = "payment-grpc-service", descriptors = "payments", method = %q, body = "*" }
    }]
  })
}
`, method)
	}
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "config#descriptors#payments"}}
	stored := func(file string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			want, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			out, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key})
			if err != nil {
				return err
			}
			var got []byte
			if b, ok := out.Item["descriptors"].(*ddbtypes.AttributeValueMemberB); ok {
				got = b.Value
			}
			if !bytes.Equal(got, want) {
				return fmt.Errorf("descriptor set in DynamoDB: got %d bytes, want the %d bytes of %s", len(got), len(want), file)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{Config: config(garbage, ""), ExpectError: regexp.MustCompile(`Invalid descriptor set`)},
			{
				Config: config(payments, ""),
				Check: resource.ComposeAggregateTestCheckFunc(
					stored(payments),
					resource.TestCheckResourceAttr(addr, "id", table+"/payments"),
					resource.TestCheckResourceAttr(addr, "services.#", "1"),
					resource.TestCheckResourceAttr(addr, "services.0", "payments.v1.PaymentService"),
				),
			},
			accImportCommand(addr, table+"/payments"),
			accImportBlock(addr, table+"/payments"),
			{
				Config: config(other, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: stored(other),
			},
			{
				// Drift: the item is overwritten behind Terraform's back.
				PreConfig: func() {
					clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
						"pk": key["pk"], "descriptors": &ddbtypes.AttributeValueMemberB{Value: []byte{0x0a, 0x00}},
					}})
				},
				Config: config(payments, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: stored(payments),
			},
			// The route table refuses, at plan time, a method the set lacks.
			{Config: config(payments, routes("payments.v1.PaymentService/Refund")), ExpectError: regexp.MustCompile(`no such method`)},
			{Config: config(payments, routes("payments.v1.PaymentService/Charge"))},
		},
	})
}
