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

// TestAccServicePolicyOnAnyService writes Portico's traffic policy to a Cloud
// Map service created outside the provider (as ECS or hashicorp/aws's
// aws_service_discovery_service would): the service's own attributes stay,
// the policy imports with an empty plan, changes in place, a second policy
// for the service is refused, and destroying removes only the policy.
func TestAccServicePolicyOnAnyService(t *testing.T) {
	ctx := context.Background()
	clients := accClients(t)
	sd := clients.ServiceDiscovery
	serviceID := accExternalService(t, "anysvc", "payment")
	if _, err := sd.UpdateServiceAttributes(ctx, &servicediscovery.UpdateServiceAttributesInput{
		ServiceId: aws.String(serviceID), Attributes: map[string]string{"team": "payments"},
	}); err != nil {
		t.Fatal(err)
	}

	const addr = "portico_service_policy.test"
	config := func(v1, v2 int, extra string) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_service_policy" "test" {
  service_id = %q
  policy = jsonencode({
    versions = [{ version = "v1", weight = %d }, { version = "v2", weight = %d }]
    retry    = { attempts = 2, perTryTimeout = "1m0s" }
  })
}
`, serviceID, v1, v2) + extra
	}
	attrs := func() (map[string]string, error) {
		out, err := sd.GetServiceAttributes(ctx, &servicediscovery.GetServiceAttributesInput{ServiceId: aws.String(serviceID)})
		if err != nil {
			return nil, err
		}
		return out.ServiceAttributes.Attributes, nil
	}
	inCloudMap := func(wantV2 int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			a, err := attrs()
			if err != nil {
				return err
			}
			p, ok, err := cloudmap.DecodePolicy(a)
			if err != nil || !ok || len(p.Versions) != 2 || p.Versions[1].Weight != wantV2 {
				return fmt.Errorf("policy in Cloud Map: got %+v (present %v, %v), want v2 at %d", p, ok, err, wantV2)
			}
			if a["team"] != "payments" {
				return fmt.Errorf("the service's own attribute: got %v, want team=payments kept", a)
			}
			return nil
		}
	}
	const second = `
resource "portico_service_policy" "second" {
  service_id = portico_service_policy.test.service_id
  policy     = jsonencode({ loadBalancer = "round_robin" })
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: func(*terraform.State) error {
			a, err := attrs()
			if err != nil {
				return fmt.Errorf("the service after destroy: %w, want it kept", err)
			}
			if _, ok := a[cloudmap.AttrPolicy]; ok || a["team"] != "payments" {
				return fmt.Errorf("attributes after destroy: got %v, want the policy gone and team=payments kept", a)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config(95, 5, ""),
				Check:  resource.ComposeAggregateTestCheckFunc(resource.TestCheckResourceAttr(addr, "id", serviceID), inCloudMap(5)),
			},
			accImportPolicy(addr, serviceID, `{"versions":[{"version":"v1","weight":95},{"version":"v2","weight":5}],"retry":{"attempts":2,"perTryTimeout":"1m"}}`),
			accImportBlock(addr, serviceID),
			{
				Config: config(90, 10, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: inCloudMap(10),
			},
			{Config: config(90, 10, second), ExpectError: regexpMust(`already\s+has\s+a\s+Portico\s+traffic\s+policy`)},
		},
	})
}

// accExternalService creates a Cloud Map service named name in a namespace
// of its own, as ECS or hashicorp/aws would, and deletes both after the test.
func accExternalService(t *testing.T, prefix, name string) string {
	t.Helper()
	ctx := context.Background()
	sd := accClients(t).ServiceDiscovery
	ns, err := sd.CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{Name: aws.String(accName(prefix) + ".local")})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := waitOperation(ctx, sd, aws.ToString(ns.OperationId))
	if err != nil {
		t.Fatal(err)
	}
	nsID := targets[string(sdtypes.OperationTargetTypeNamespace)]
	svc, err := sd.CreateService(ctx, &servicediscovery.CreateServiceInput{Name: aws.String(name), NamespaceId: aws.String(nsID)})
	if err != nil {
		t.Fatal(err)
	}
	serviceID := aws.ToString(svc.Service.Id)
	t.Cleanup(func() {
		sd.DeleteService(context.Background(), &servicediscovery.DeleteServiceInput{Id: aws.String(serviceID)})
		sd.DeleteNamespace(context.Background(), &servicediscovery.DeleteNamespaceInput{Id: aws.String(nsID)})
	})
	return serviceID
}

// TestAccServicePolicyOnAnyServicePublishedToGateway: portico_service_policy with
// table_name also writes the policy of a service it did not create to the
// gateway's state table, under the service's name; a change to that copy
// outside Terraform plans a write; removing table_name removes the copy.
func TestAccServicePolicyOnAnyServicePublishedToGateway(t *testing.T) {
	clients := accClients(t)
	serviceID := accExternalService(t, "anypub", "ledger")
	table := accName("anypubtable")
	const addr = "portico_service_policy.test"
	key := map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.PolicyKey("ledger")}}
	config := func(attempts int, withTable bool) string {
		tableLine := ""
		if withTable {
			tableLine = "table_name = portico_table.t.name"
		}
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_table" "t" {
  name          = %q
  hash_key      = "pk"
  ttl_attribute = "ttl"
}

resource "portico_service_policy" "test" {
  service_id = %q
  policy     = jsonencode({ mtls = true, retry = { attempts = %d } })
  %s
}
`, table, serviceID, attempts, tableLine)
	}
	copyOf := func() (string, error) {
		out, err := clients.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return "", err
		}
		doc, _ := out.Item[statetable.DocumentAttr].(*ddbtypes.AttributeValueMemberS)
		if doc == nil {
			return "", nil
		}
		return doc.Value, nil
	}
	published := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			doc, err := copyOf()
			if err != nil || !strings.Contains(doc, want) {
				return fmt.Errorf("the gateway's copy: got %q (%v), want a document containing %s", doc, err, want)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{
				Config: config(2, true),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "service_name", "ledger"), published(`"attempts":2`)),
			},
			{
				PreConfig: func() {
					clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
						statetable.KeyAttr: key[statetable.KeyAttr], statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: `{"retry":{"attempts":1}}`}}})
				},
				Config: config(2, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: published(`"attempts":2`),
			},
			{
				Config: config(3, true),
				Check:  published(`"attempts":3`),
			},
			{
				Config: config(3, false),
				Check: func(*terraform.State) error {
					if doc, err := copyOf(); err != nil || doc != "" {
						return fmt.Errorf("after removing table_name: got %q (%v), want the gateway's copy gone", doc, err)
					}
					return nil
				},
			},
		},
	})
}
