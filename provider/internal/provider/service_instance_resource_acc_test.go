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

// accInstanceConfig is a portico_service_instance "users-1" addressed as
// portico_service_instance.test, in portico_service.test.
func accInstanceConfig(port int, version string) string {
	return fmt.Sprintf(`
resource "portico_service_instance" "test" {
  service_id  = portico_service.test.id
  instance_id = "users-1"
  address     = "127.0.0.1"
  port        = %d
  attributes = {
    version = %q
  }
}
`, port, version)
}

func TestAccServiceInstance(t *testing.T) {
	ns := accName("inst") + ".local"
	clients := accClients(t)
	const addr = "portico_service_instance.test"
	var serviceID string
	config := func(port int, version string) string {
		return accProviderConfig() + accNamespaceConfig(ns, "acceptance test") + accServiceConfig("users", "users") +
			accInstanceConfig(port, version)
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: resource.ComposeAggregateTestCheckFunc(
			accCheckGone("portico_service_instance", func(ctx context.Context, _ string, attrs map[string]string) (bool, error) {
				_, err := clients.ServiceDiscovery.GetInstance(ctx, &servicediscovery.GetInstanceInput{
					ServiceId: aws.String(attrs["service_id"]), InstanceId: aws.String(attrs["instance_id"]),
				})
				return accGone(err)
			}),
			accCheckServiceGone(clients),
			accCheckNamespaceGone(clients),
		),
		Steps: []resource.TestStep{
			{
				Config: config(18081, "v1"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "instance_id", "users-1"),
					resource.TestCheckResourceAttr(addr, "address", "127.0.0.1"),
					resource.TestCheckResourceAttr(addr, "port", "18081"),
					resource.TestCheckResourceAttr(addr, "attributes.%", "1"),
					resource.TestCheckResourceAttr(addr, "attributes.version", "v1"),
					resource.TestMatchResourceAttr(addr, "id", regexpMust(`^srv-[^/]+/users-1$`)),
					resource.TestCheckResourceAttrWith(addr, "service_id", func(v string) error { serviceID = v; return nil }),
				),
			},
			accImportCommand(addr, ""),
			accImportBlock(addr, ""),
			{
				Config: config(18091, "v2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "port", "18091"),
					resource.TestCheckResourceAttr(addr, "attributes.version", "v2"),
					func(s *terraform.State) error {
						a := s.RootModule().Resources[addr].Primary.Attributes
						out, err := clients.ServiceDiscovery.GetInstance(context.Background(), &servicediscovery.GetInstanceInput{
							ServiceId: aws.String(a["service_id"]), InstanceId: aws.String("users-1"),
						})
						if err != nil {
							return err
						}
						want := map[string]string{attrIPv4: "127.0.0.1", attrPort: "18091", "version": "v2"}
						for k, v := range want {
							if got := out.Instance.Attributes[k]; got != v {
								return fmt.Errorf("Cloud Map attribute %s: got %q, want %q", k, got, v)
							}
						}
						return nil
					},
				),
			},
			{
				// Drift: the instance is re-registered on another port behind
				// Terraform's back; the plan puts it back in place.
				PreConfig: func() {
					_, err := clients.ServiceDiscovery.RegisterInstance(context.Background(), &servicediscovery.RegisterInstanceInput{
						ServiceId: aws.String(serviceID), InstanceId: aws.String("users-1"),
						Attributes: map[string]string{attrIPv4: "127.0.0.1", attrPort: "19999", "version": "v2"},
					})
					if err != nil {
						t.Fatalf("re-register behind Terraform's back: %v", err)
					}
				},
				Config: config(18091, "v2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.TestCheckResourceAttr(addr, "port", "18091"),
			},
		},
	})
}
