//go:build e2e

package provider

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func TestAccLambdaRole(t *testing.T) {
	name := accName("role")
	clients := accClients(t)
	const addr = "portico_lambda_role.test"
	config := func(action string) string {
		return accProviderConfig() + fmt.Sprintf(`
resource "portico_lambda_role" "test" {
  name = %q
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = [%q], Resource = "*" }]
  })
}
`, name, action)
	}
	policyHas := func(action string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			out, err := clients.IAM.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(inlinePolicyName)})
			if err != nil {
				return err
			}
			doc, err := decodePolicyDocument(aws.ToString(out.PolicyDocument))
			if err != nil {
				return err
			}
			want := fmt.Sprintf(`{"Statement":[{"Action":[%q],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`, action)
			if doc != want {
				return fmt.Errorf("policy in IAM: got %s, want %s", doc, want)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: accCheckGone("portico_lambda_role", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
			_, err := clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(id)})
			return accGone(err)
		}),
		Steps: []resource.TestStep{
			{
				Config: config("logs:PutLogEvents"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "id", name),
					resource.TestMatchResourceAttr(addr, "arn", regexpMust(`^arn:aws:iam::[0-9]{12}:role/`+name+`$`)),
					policyHas("logs:PutLogEvents"),
				),
			},
			accImportCommand(addr, ""),
			accImportBlock(addr, ""),
			{
				Config: config("dynamodb:UpdateItem"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: policyHas("dynamodb:UpdateItem"),
			},
			{
				// Drift: the inline policy is widened behind Terraform's back.
				PreConfig: func() {
					_, err := clients.IAM.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{
						RoleName: aws.String(name), PolicyName: aws.String(inlinePolicyName),
						PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
					})
					if err != nil {
						t.Fatalf("widen the policy behind Terraform's back: %v", err)
					}
				},
				Config: config("dynamodb:UpdateItem"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: policyHas("dynamodb:UpdateItem"),
			},
		},
	})
}

// Tags on a role, read back (drift), and a role API Gateway may assume: the
// account's CloudWatch Logs role for access logging.
func TestAccLambdaRoleTagsAndService(t *testing.T) {
	ctx := context.Background()
	name := accName("apigwrole")
	clients := accClients(t)
	const addr = "portico_lambda_role.logs"
	config := accProviderConfigWith(accDefaultTags) + fmt.Sprintf(`
resource "portico_lambda_role" "logs" {
  name    = %q
  service = "apigateway.amazonaws.com"
  tags    = { purpose = "access-logs" }
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "*" }]
  })
}
`, name)
	roleTags := func() map[string]string {
		tags, err := (iamRoleTags{clients.IAM}).listTags(ctx, name)
		if err != nil {
			t.Fatalf("list role tags: %v", err)
		}
		return tags
	}
	want := map[string]string{"team": "edge", "env": "acc", "purpose": "access-logs"}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "service", "apigateway.amazonaws.com"),
					resource.TestCheckResourceAttr(addr, "tags_all.%", "3"),
					func(*terraform.State) error {
						out, err := clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
						if err != nil {
							return err
						}
						if doc := aws.ToString(out.Role.AssumeRolePolicyDocument); !strings.Contains(doc, "apigateway.amazonaws.com") {
							return fmt.Errorf("trust policy: got %s, want API Gateway as the principal", doc)
						}
						if got := roleTags(); !maps.Equal(got, want) {
							return fmt.Errorf("role tags: got %v, want %v", got, want)
						}
						return nil
					},
				),
			},
			{
				// Drift: a default tag's value changed in the console.
				PreConfig: func() {
					if _, err := clients.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name),
						Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
						t.Fatalf("tag the role: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					if got := roleTags(); !maps.Equal(got, want) {
						return fmt.Errorf("role tags after repair: got %v, want %v", got, want)
					}
					return nil
				},
			},
		},
	})
}
