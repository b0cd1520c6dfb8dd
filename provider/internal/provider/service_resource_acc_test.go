//go:build e2e

package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
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
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateVerify: true,
			},
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
		},
	})
}
