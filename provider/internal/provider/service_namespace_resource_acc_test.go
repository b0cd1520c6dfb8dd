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

// accNamespaceConfig is a portico_service_namespace addressed as
// portico_service_namespace.test.
func accNamespaceConfig(name, description string) string {
	return fmt.Sprintf(`
resource "portico_service_namespace" "test" {
  name        = %q
  description = %q
}
`, name, description)
}

// accCheckNamespaceGone is a CheckDestroy for portico_service_namespace.
func accCheckNamespaceGone(clients *Clients) func(*terraform.State) error {
	return accCheckGone("portico_service_namespace", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
		_, err := clients.ServiceDiscovery.GetNamespace(ctx, &servicediscovery.GetNamespaceInput{Id: aws.String(id)})
		return accGone(err)
	})
}

func TestAccServiceNamespace(t *testing.T) {
	name := accName("ns") + ".local"
	clients := accClients(t)
	const addr = "portico_service_namespace.test"
	var id string
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy:             accCheckNamespaceGone(clients),
		Steps: []resource.TestStep{
			{
				Config: accProviderConfig() + accNamespaceConfig(name, "first"),
				Check: resource.ComposeAggregateTestCheckFunc(
					accCaptureID(addr, &id),
					resource.TestCheckResourceAttr(addr, "name", name),
					resource.TestCheckResourceAttr(addr, "description", "first"),
					resource.TestMatchResourceAttr(addr, "id", regexpMust(`^ns-`)),
					resource.TestMatchResourceAttr(addr, "arn", regexpMust(`^arn:aws:servicediscovery:.*:namespace/ns-`)),
				),
			},
			accImportCommand(addr, ""),
			accImportBlock(addr, ""),
			{
				Config: accProviderConfig() + accNamespaceConfig(name, "second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "description", "second"),
					func(*terraform.State) error {
						out, err := clients.ServiceDiscovery.GetNamespace(context.Background(), &servicediscovery.GetNamespaceInput{Id: aws.String(id)})
						if err != nil {
							return err
						}
						if got := aws.ToString(out.Namespace.Description); got != "second" {
							return fmt.Errorf("description in Cloud Map: got %q, want second", got)
						}
						return nil
					},
				),
			},
			{
				// Drift: the namespace is deleted behind Terraform's back; the plan re-creates it.
				PreConfig: func() {
					if _, err := clients.ServiceDiscovery.DeleteNamespace(context.Background(), &servicediscovery.DeleteNamespaceInput{Id: aws.String(id)}); err != nil {
						t.Fatalf("delete the namespace behind Terraform's back: %v", err)
					}
				},
				Config: accProviderConfig() + accNamespaceConfig(name, "second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
				Check: resource.TestCheckResourceAttr(addr, "description", "second"),
			},
		},
	})
}

// TestAccServiceNamespaceDeleteTimeout honours the delete timeout: with a
// service registered in the namespace behind Terraform's back, Cloud Map
// refuses the delete (ResourceInUse) and the provider retries only until
// timeouts.delete (3s), then says what it waited for; once the service is
// gone the destroy succeeds.
func TestAccServiceNamespaceDeleteTimeout(t *testing.T) {
	name := accName("nsto") + ".local"
	clients := accClients(t)
	ctx := context.Background()
	const addr = "portico_service_namespace.test"
	config := accProviderConfig() + fmt.Sprintf(`
resource "portico_service_namespace" "test" {
  name = %q
  timeouts {
    delete = "3s"
  }
}
`, name)
	var id, serviceID string
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy:             accCheckNamespaceGone(clients),
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					accCaptureID(addr, &id),
					resource.TestCheckResourceAttr(addr, "timeouts.delete", "3s"),
					func(*terraform.State) error {
						out, err := clients.ServiceDiscovery.CreateService(ctx, &servicediscovery.CreateServiceInput{
							Name: aws.String("squatter"), NamespaceId: aws.String(id),
						})
						if err != nil {
							return fmt.Errorf("register a service behind Terraform's back: %w", err)
						}
						serviceID = aws.ToString(out.Service.Id)
						return nil
					},
				),
			},
			{
				Config:      config,
				Destroy:     true,
				ExpectError: regexpMust(`timed\s+out\s+after\s+3(\.\d)?s\s+waiting\s+for\s+the\s+services\s+of\s+namespace`),
			},
			{
				PreConfig: func() {
					if _, err := clients.ServiceDiscovery.DeleteService(ctx, &servicediscovery.DeleteServiceInput{Id: aws.String(serviceID)}); err != nil {
						t.Fatalf("delete the service behind Terraform's back: %v", err)
					}
				},
				Config:   config,
				PlanOnly: true,
			},
		},
	})
}
