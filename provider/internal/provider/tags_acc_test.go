//go:build e2e

package provider

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Tags on the namespace, a service and the mesh secrets: default_tags merged
// in, and tags changed in the console (with the SDK here) show in the plan
// and are put back by the next apply.
func TestAccTagsDrift(t *testing.T) {
	ctx := context.Background()
	name := accName("tags")
	clients := accClients(t)
	config := accProviderConfigWith(accDefaultTags) + fmt.Sprintf(`
resource "portico_service_namespace" "ns" {
  name = "%[1]s.local"
  tags = { layer = "mesh" }
}

resource "portico_service" "svc" {
  name         = "orders"
  namespace_id = portico_service_namespace.ns.id
  tags         = { layer = "mesh", owner = "orders-team" }
}

resource "portico_mesh_ca" "ca" {
  name                    = "%[1]s/ca"
  recovery_window_in_days = 0
  tags                    = { secret = "ca" }
}

resource "portico_mesh_certificate" "cert" {
  name                    = "%[1]s/orders"
  ca_secret               = portico_mesh_ca.ca.name
  ca_cert_pem             = portico_mesh_ca.ca.cert_pem
  service                 = "orders"
  recovery_window_in_days = 0
  tags                    = { secret = "orders" }
}
`, name)
	type tagged struct {
		addr string
		arn  func(s *terraform.State) string
		list func(arn string) (map[string]string, error)
		want map[string]string
	}
	attr := func(s *terraform.State, addr string) string {
		return s.RootModule().Resources[addr].Primary.Attributes["arn"]
	}
	sd, sm := sdTags{clients.ServiceDiscovery}, smTags{clients.SecretsManager}
	all := []tagged{
		{"portico_service_namespace.ns", func(s *terraform.State) string { return attr(s, "portico_service_namespace.ns") }, func(a string) (map[string]string, error) { return sd.listTags(ctx, a) },
			map[string]string{"team": "edge", "env": "acc", "layer": "mesh"}},
		{"portico_service.svc", func(s *terraform.State) string { return attr(s, "portico_service.svc") }, func(a string) (map[string]string, error) { return sd.listTags(ctx, a) },
			map[string]string{"team": "edge", "env": "acc", "layer": "mesh", "owner": "orders-team"}},
		{"portico_mesh_ca.ca", func(s *terraform.State) string { return attr(s, "portico_mesh_ca.ca") }, func(a string) (map[string]string, error) { return sm.listTags(ctx, a) },
			map[string]string{"team": "edge", "env": "acc", "secret": "ca"}},
		{"portico_mesh_certificate.cert", func(s *terraform.State) string { return attr(s, "portico_mesh_certificate.cert") }, func(a string) (map[string]string, error) { return sm.listTags(ctx, a) },
			map[string]string{"team": "edge", "env": "acc", "secret": "orders"}},
	}
	check := func(s *terraform.State) error {
		for _, r := range all {
			got, err := r.list(r.arn(s))
			if err != nil {
				return fmt.Errorf("%s: %w", r.addr, err)
			}
			if got = visibleTags(got); !maps.Equal(got, r.want) {
				return fmt.Errorf("%s tags: got %v, want %v", r.addr, got, r.want)
			}
		}
		return nil
	}
	var arns map[string]string
	remember := func(s *terraform.State) error {
		arns = map[string]string{}
		for _, r := range all {
			arns[r.addr] = r.arn(s)
		}
		return nil
	}
	var updates []plancheck.PlanCheck
	for _, r := range all {
		updates = append(updates, plancheck.ExpectResourceAction(r.addr, plancheck.ResourceActionUpdate))
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{Config: config, Check: resource.ComposeAggregateTestCheckFunc(check, remember)},
			{
				PreConfig: func() {
					for _, addr := range []string{"portico_service_namespace.ns", "portico_service.svc"} {
						if _, err := clients.ServiceDiscovery.TagResource(ctx, &servicediscovery.TagResourceInput{ResourceARN: aws.String(arns[addr]),
							Tags: []sdtypes.Tag{{Key: aws.String("team"), Value: aws.String("console")}}}); err != nil {
							t.Fatalf("tag %s: %v", addr, err)
						}
					}
					for _, addr := range []string{"portico_mesh_ca.ca", "portico_mesh_certificate.cert"} {
						if _, err := clients.SecretsManager.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(arns[addr]),
							Tags: []smtypes.Tag{{Key: aws.String("extra"), Value: aws.String("x")}}}); err != nil {
							t.Fatalf("tag %s: %v", addr, err)
						}
					}
				},
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: updates},
				Check:            check,
			},
		},
	})
}
