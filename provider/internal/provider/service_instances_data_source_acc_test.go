//go:build e2e

package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccServiceInstancesDataSource(t *testing.T) {
	ns := accName("instds") + ".local"
	clients := accClients(t)
	const data = "data.portico_service_instances.test"
	config := accProviderConfig() + accNamespaceConfig(ns, "acceptance test") + accServiceConfig("users", "users") + `
resource "portico_service_instance" "b" {
  service_id  = portico_service.test.id
  instance_id = "users-b"
  address     = "10.0.0.8"
  port        = 8081
  attributes = {
    version = "v2"
  }
}

resource "portico_service_instance" "a" {
  service_id  = portico_service.test.id
  instance_id = "users-a"
  address     = "10.0.0.7"
  port        = 8080
}
`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy:             resource.ComposeAggregateTestCheckFunc(accCheckServiceGone(clients), accCheckNamespaceGone(clients)),
		Steps: []resource.TestStep{
			{
				Config: config + `
data "portico_service_instances" "test" {
  namespace_name = portico_service_namespace.test.name
  service_name   = portico_service.test.name
  depends_on     = [portico_service_instance.a, portico_service_instance.b]
}
`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(data, "id", ns+"/users"),
					resource.TestCheckResourceAttr(data, "instances.#", "2"),
					resource.TestCheckResourceAttr(data, "instances.0.id", "users-a"),
					resource.TestCheckResourceAttr(data, "instances.0.address", "10.0.0.7"),
					resource.TestCheckResourceAttr(data, "instances.0.port", "8080"),
					resource.TestCheckResourceAttr(data, "instances.0.attributes.%", "0"),
					resource.TestCheckResourceAttr(data, "instances.1.id", "users-b"),
					resource.TestCheckResourceAttr(data, "instances.1.address", "10.0.0.8"),
					resource.TestCheckResourceAttr(data, "instances.1.port", "8081"),
					resource.TestCheckResourceAttr(data, "instances.1.attributes.%", "1"),
					resource.TestCheckResourceAttr(data, "instances.1.attributes.version", "v2"),
				),
			},
			{
				Config: config + `
resource "portico_service" "orders" {
  name         = "orders"
  namespace_id = portico_service_namespace.test.id
}

data "portico_service_instances" "empty" {
  namespace_name = portico_service_namespace.test.name
  service_name   = portico_service.orders.name
  depends_on     = [portico_service.orders]
}
`,
				Check: resource.TestCheckResourceAttr("data.portico_service_instances.empty", "instances.#", "0"),
			},
			{
				Config: config + `
data "portico_service_instances" "missing" {
  namespace_name = portico_service_namespace.test.name
  service_name   = "no-such-service"
}
`,
				ExpectError: regexp.MustCompile(`Cannot discover the instances of Cloud Map service`),
			},
		},
	})
}
