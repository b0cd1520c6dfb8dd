//go:build e2e

package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccAuthSettingsDataSource(t *testing.T) {
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			// The refused document first: the test destroys with the last step's configuration.
			{
				Config: accProviderConfig() + `
data "portico_auth_settings" "this" {
  document = jsonencode({ issuers = [{ issuer = "http://id.example.com", audiences = ["portico"] }] })
}`,
				ExpectError: regexp.MustCompile(`must be https`),
			},
			{
				Config: accProviderConfig() + `
data "portico_auth_settings" "this" {
  document = jsonencode({
    issuers = [{
      issuer        = "https://id.example.com/realms/portico"
      audiences     = ["portico"]
      rolesClaim    = "realm_access.roles"
      claimMappings = { "https://portico.dev/tenant" = "tenant" }
    }]
  })
}`,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("data.portico_auth_settings.this", "issuers.#", "1"),
					resource.TestCheckResourceAttr("data.portico_auth_settings.this", "issuers.0", "https://id.example.com/realms/portico"),
					resource.TestMatchResourceAttr("data.portico_auth_settings.this", "id", regexp.MustCompile(`^[0-9a-f]{64}$`)),
				),
			},
		},
	})
}
