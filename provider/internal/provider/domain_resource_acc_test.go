//go:build e2e

package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func TestAccDomain(t *testing.T) {
	ctx := context.Background()
	name := accName("domain")
	domain := name + ".portico.example"
	clients := accClients(t)
	zip, _ := accLambdaZip(t, "domain")
	const addr = "portico_domain.test"
	config := func(base string) string {
		return accAPIConfig(name, zip, 300, "null") + fmt.Sprintf(`
resource "portico_domain" "test" {
  domain_name     = %q
  certificate_arn = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555"
  rest_api_id     = portico_api.test.id
  stage_name      = portico_api.test.stage_name
  base_path       = %q
  tags            = { domain = "yes" }
}
`, domain, base)
	}
	mapping := func(base string) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			apiID := s.RootModule().Resources["portico_api.test"].Primary.ID
			m, err := clients.APIGateway.GetBasePathMapping(ctx, &apigateway.GetBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String(apiBasePath(base))})
			if err != nil {
				return fmt.Errorf("base path mapping %q: %w", base, err)
			}
			if aws.ToString(m.RestApiId) != apiID || aws.ToString(m.Stage) != "v1" {
				return fmt.Errorf("mapping: got API %s stage %s, want %s v1", aws.ToString(m.RestApiId), aws.ToString(m.Stage), apiID)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: accCheckGone("portico_domain", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
			_, err := clients.APIGateway.GetDomainName(ctx, &apigateway.GetDomainNameInput{DomainName: aws.String(id)})
			return accGone(err)
		}),
		Steps: []resource.TestStep{
			{
				Config: config(""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "url", "https://"+domain),
					resource.TestCheckResourceAttrSet(addr, "regional_domain_name"),
					resource.TestCheckResourceAttrSet(addr, "regional_hosted_zone_id"),
					resource.TestCheckResourceAttr(addr, "tags.domain", "yes"),
					mapping(""),
				),
			},
			accImportCommand(addr, domain),
			{
				// Drift: the mapping removed behind Terraform's back.
				PreConfig: func() {
					if _, err := clients.APIGateway.DeleteBasePathMapping(ctx, &apigateway.DeleteBasePathMappingInput{DomainName: aws.String(domain), BasePath: aws.String("(none)")}); err != nil {
						t.Fatalf("delete the mapping: %v", err)
					}
				},
				Config: config(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: mapping(""),
			},
			{
				// Another base path: the mapping moves, the domain stays.
				Config: config("v1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "url", "https://"+domain+"/v1"),
					mapping("v1"),
				),
			},
		},
	})
}
