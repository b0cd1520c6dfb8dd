//go:build e2e

package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// accFunctionConfig is a portico_function named name, addressed as
// portico_function.<label>, deployed from zip.
func accFunctionConfig(label, name, zip string, memory int, env string) string {
	return fmt.Sprintf(`
resource "portico_function" %q {
  name             = %q
  filename         = %q
  source_code_hash = filebase64sha256(%q)
  role_arn         = "arn:aws:iam::000000000000:role/portico-acc"
  memory_size      = %d
  timeout          = 10
  environment = {
    GREETING = %q
  }
}
`, label, name, zip, zip, memory, env)
}

// accCheckFunctionGone is a CheckDestroy for portico_function.
func accCheckFunctionGone(clients *Clients) func(*terraform.State) error {
	return accCheckGone("portico_function", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
		_, err := clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(id)})
		return accGone(err)
	})
}

func TestAccFunction(t *testing.T) {
	name := accName("fn")
	clients := accClients(t)
	zipV1, shaV1 := accLambdaZip(t, "v1")
	zipV2, shaV2 := accLambdaZip(t, "v2")
	const addr = "portico_function.test"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy:             accCheckFunctionGone(clients),
		Steps: []resource.TestStep{
			{
				Config: accProviderConfig() + accFunctionConfig("test", name, zipV1, 128, "hello"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "id", name),
					resource.TestCheckResourceAttr(addr, "source_code_hash", shaV1),
					resource.TestCheckResourceAttr(addr, "handler", defaultHandler),
					resource.TestCheckResourceAttr(addr, "runtime", defaultRuntime),
					resource.TestCheckResourceAttr(addr, "memory_size", "128"),
					resource.TestCheckResourceAttr(addr, "environment.GREETING", "hello"),
					resource.TestMatchResourceAttr(addr, "invoke_arn", regexpMust(`^arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/arn:aws:lambda:.*:function:`+name+`/invocations$`)),
				),
			},
			// The zip's path comes back from the function's tag.
			accImportCommand(addr, name),
			accImportBlock(addr, name),
			{
				Config: accProviderConfig() + accFunctionConfig("test", name, zipV2, 256, "bonjour"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "source_code_hash", shaV2),
					resource.TestCheckResourceAttr(addr, "memory_size", "256"),
					resource.TestCheckResourceAttr(addr, "environment.GREETING", "bonjour"),
					func(*terraform.State) error {
						out, err := clients.Lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
						if err != nil {
							return err
						}
						c := out.Configuration
						if got := aws.ToString(c.CodeSha256); got != shaV2 {
							return fmt.Errorf("CodeSha256 in Lambda: got %s, want %s", got, shaV2)
						}
						if got := aws.ToInt32(c.MemorySize); got != 256 {
							return fmt.Errorf("MemorySize in Lambda: got %d, want 256", got)
						}
						return nil
					},
				),
			},
			{
				// Drift: memory changed behind Terraform's back; the plan changes it back in place.
				PreConfig: func() {
					ctx := context.Background()
					if _, err := clients.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), MemorySize: aws.Int32(512)}); err != nil {
						t.Fatalf("change memory behind Terraform's back: %v", err)
					}
				},
				Config: accProviderConfig() + accFunctionConfig("test", name, zipV2, 256, "bonjour"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					out, err := clients.Lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)})
					if err != nil {
						return err
					}
					if got := aws.ToInt32(out.Configuration.MemorySize); got != 256 {
						return fmt.Errorf("MemorySize in Lambda after repair: got %d, want 256", got)
					}
					return nil
				},
			},
		},
	})
}
