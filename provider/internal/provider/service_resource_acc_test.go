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
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

// accServiceConfig is a portico_service named name, addressed as
// portico_service.test, in portico_service_namespace.test.
func accServiceConfig(name, description string) string {
	return fmt.Sprintf(`
resource "portico_service" "test" {
  name         = %q
  namespace_id = portico_service_namespace.test.id
  description  = %q
}
`, name, description)
}

// accCheckServiceGone is a CheckDestroy for portico_service.
func accCheckServiceGone(clients *Clients) func(*terraform.State) error {
	return accCheckGone("portico_service", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
		_, err := clients.ServiceDiscovery.GetService(ctx, &servicediscovery.GetServiceInput{Id: aws.String(id)})
		return accGone(err)
	})
}

func TestAccService(t *testing.T) {
	ns := accName("svc") + ".local"
	clients := accClients(t)
	const addr = "portico_service.test"
	var id string
	config := func(description string) string {
		return accProviderConfig() + accNamespaceConfig(ns, "acceptance test") + accServiceConfig("users", description)
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(accCheckServiceGone(clients), accCheckNamespaceGone(clients)),
		Steps: []resource.TestStep{
			{
				Config: config("first"),
				Check: resource.ComposeAggregateTestCheckFunc(
					accCaptureID(addr, &id),
					resource.TestCheckResourceAttr(addr, "name", "users"),
					resource.TestCheckResourceAttrPair(addr, "namespace_id", "portico_service_namespace.test", "id"),
					resource.TestMatchResourceAttr(addr, "id", regexpMust(`^srv-`)),
					resource.TestMatchResourceAttr(addr, "arn", regexpMust(`^arn:aws:servicediscovery:.*:service/srv-`)),
				),
			},
			accImportCommand(addr, ""),
			accImportBlock(addr, ""),
			{
				Config: config("second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "description", "second"),
					func(*terraform.State) error {
						out, err := clients.ServiceDiscovery.GetService(context.Background(), &servicediscovery.GetServiceInput{Id: aws.String(id)})
						if err != nil {
							return err
						}
						if got := aws.ToString(out.Service.Description); got != "second" {
							return fmt.Errorf("description in Cloud Map: got %q, want second", got)
						}
						return nil
					},
				),
			},
			{
				// Drift: the description is changed behind Terraform's back; the plan changes it back in place.
				PreConfig: func() {
					_, err := clients.ServiceDiscovery.UpdateService(context.Background(), &servicediscovery.UpdateServiceInput{
						Id: aws.String(id), Service: &sdtypes.ServiceChange{Description: aws.String("changed by hand")},
					})
					if err != nil {
						t.Fatalf("change the service behind Terraform's back: %v", err)
					}
				},
				Config: config("second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr(addr, "description", "second"),
			},
		},
	})
}

// TestAccServicePolicy writes a traffic policy to the service's Cloud Map
// attributes, changes it in place, refuses an invalid one at plan time and
// removes it.
func TestAccServicePolicy(t *testing.T) {
	ns := accName("pol") + ".local"
	clients := accClients(t)
	const addr = "portico_service.test"
	var id string
	config := func(policy string) string {
		attr := ""
		if policy != "" {
			attr = "  policy       = " + policy + "\n"
		}
		return accProviderConfig() + accNamespaceConfig(ns, "acceptance test") + fmt.Sprintf(`
resource "portico_service" "test" {
  name         = "payment"
  namespace_id = portico_service_namespace.test.id
%s}
`, attr)
	}
	canary := func(v1, v2 int) string {
		return fmt.Sprintf(`jsonencode({
    versions = [{ version = "v1", weight = %d }, { version = "v2", weight = %d }]
    routes   = [{ header = "X-Test-User", value = "true", version = "v2" }]
  })`, v1, v2)
	}
	// inCloudMap checks the policy the mesh client would read.
	inCloudMap := func(wantV2 int, wantPolicy bool) resource.TestCheckFunc {
		return func(*terraform.State) error {
			out, err := clients.ServiceDiscovery.GetServiceAttributes(context.Background(), &servicediscovery.GetServiceAttributesInput{ServiceId: aws.String(id)})
			if err != nil {
				return err
			}
			p, ok, err := cloudmap.DecodePolicy(out.ServiceAttributes.Attributes)
			switch {
			case err != nil:
				return err
			case ok != wantPolicy:
				return fmt.Errorf("policy in Cloud Map: got present=%v, want %v (attributes %v)", ok, wantPolicy, out.ServiceAttributes.Attributes)
			case ok && (len(p.Versions) != 2 || p.Versions[1].Weight != wantV2):
				return fmt.Errorf("policy in Cloud Map: got versions %+v, want v2 at %d", p.Versions, wantV2)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(accCheckServiceGone(clients), accCheckNamespaceGone(clients)),
		Steps: []resource.TestStep{
			{
				Config: config(canary(95, 5)),
				Check:  resource.ComposeAggregateTestCheckFunc(accCaptureID(addr, &id), func(s *terraform.State) error { return inCloudMap(5, true)(s) }),
			},
			// Import reads the policy back as Cloud Map holds it, in another
			// key order than jsonencode's: the same policy, so the import
			// block plans nothing.
			accImportPolicy(addr, "", `{"versions":[{"version":"v1","weight":95},{"version":"v2","weight":5}],"routes":[{"header":"X-Test-User","value":"true","version":"v2"}]}`),
			accImportBlock(addr, ""),
			{
				Config:      config(canary(95, 10)),
				PlanOnly:    true,
				ExpectError: regexpMust(`versions: weights sum to 105, want 100`),
			},
			{
				Config: config(canary(50, 50)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: func(s *terraform.State) error { return inCloudMap(50, true)(s) },
			},
			{
				Config: config(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: func(s *terraform.State) error { return inCloudMap(0, false)(s) },
			},
		},
	})
}

// With table_name, the policy is also written to the gateway's state table
// (where the aggregator reads it with its configuration), with the revision
// bumped; a change or a removal of that copy outside Terraform plans a write;
// destroy removes it.
func TestAccServicePolicyPublishedToGateway(t *testing.T) {
	ns := accName("pub") + ".local"
	table := accName("pubtable")
	clients := accClients(t)
	const addr = "portico_service.test"
	key := map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.PolicyKey("users")}}
	config := func(policy string) string {
		return accProviderConfig() + accNamespaceConfig(ns, "acceptance test") + fmt.Sprintf(`
resource "portico_table" "t" {
  name          = %q
  hash_key      = "pk"
  ttl_attribute = "ttl"
}

resource "portico_service" "test" {
  name         = "users"
  namespace_id = portico_service_namespace.test.id
  table_name   = portico_table.t.name
  policy       = %s
}
`, table, policy)
	}
	published := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			out, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
			if err != nil {
				return err
			}
			doc, _ := out.Item[statetable.DocumentAttr].(*ddbtypes.AttributeValueMemberS)
			if doc == nil || !strings.Contains(doc.Value, want) {
				return fmt.Errorf("published policy: got %v, want a document containing %s", out.Item, want)
			}
			rev, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table),
				Key: map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.RevisionKey}}})
			if err != nil || rev.Item[statetable.RevisionAttr] == nil {
				return fmt.Errorf("revision item: got %v %v, want one the write bumped", rev.Item, err)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(accCheckServiceGone(clients), accCheckNamespaceGone(clients)),
		Steps: []resource.TestStep{
			{
				Config: config(`jsonencode({ mtls = true, retry = { attempts = 2 } })`),
				Check:  published(`"attempts":2`),
			},
			{
				Config: config(`jsonencode({ mtls = true, retry = { attempts = 3 } })`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: published(`"attempts":3`),
			},
			{
				// Drift: the gateway's copy is changed behind Terraform's back;
				// the plan writes the configured policy again.
				PreConfig: func() {
					clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
						statetable.KeyAttr: key[statetable.KeyAttr], statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: `{"retry":{"attempts":1}}`}}})
				},
				Config: config(`jsonencode({ mtls = true, retry = { attempts = 3 } })`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: published(`"attempts":3`),
			},
			{
				// Removing the policy removes the gateway's copy.
				Config: config(`null`),
				Check: func(*terraform.State) error {
					out, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
					if err != nil || len(out.Item) != 0 {
						return fmt.Errorf("got %v %v, want the gateway's copy gone", out.Item, err)
					}
					return nil
				},
			},
		},
	})
}
