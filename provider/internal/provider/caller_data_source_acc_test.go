//go:build e2e

package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestAccCallerDataSource(t *testing.T) {
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{{
			Config: accProviderConfig() + `data "portico_caller" "me" {}`,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestMatchResourceAttr("data.portico_caller.me", "account_id", regexpMust(`^[0-9]{12}$`)),
				resource.TestMatchResourceAttr("data.portico_caller.me", "arn", regexpMust(`^arn:aws:`)),
				resource.TestCheckResourceAttr("data.portico_caller.me", "region", "us-east-1"),
			),
		}},
	})
}
