//go:build e2e

package provider

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// accProviderConfigWith is the emulator's provider block with more settings
// (default_tags, ...) in it.
func accProviderConfigWith(extra string) string {
	ca := "null"
	if v := os.Getenv("PORTICO_CA_CERT"); v != "" {
		ca = strconv.Quote(v)
	}
	return fmt.Sprintf(`
provider "portico" {
  endpoint  = %q
  ca_bundle = %s
%s
}
`, os.Getenv("PORTICO_ENDPOINT"), ca, extra)
}

const accDefaultTags = `
  default_tags {
    tags = { team = "edge", env = "acc" }
  }`

// accVPCFunctionConfig is a function in the emulator's default subnets, with
// tracing, a log retention and tags; vpc is the vpc_config block or "".
func accVPCFunctionConfig(name, zip, vpc string, retention int) string {
	return fmt.Sprintf(`
resource "portico_function" "vpc" {
  name               = %q
  filename           = %q
  source_code_hash   = filebase64sha256(%q)
  role_arn           = "arn:aws:iam::000000000000:role/portico-acc"
  tracing            = true
  log_retention_days = %d
  tags               = { env = "test", cost = "42" }
  %s
}
`, name, zip, zip, retention, vpc)
}

func TestAccFunctionVPCTracingLogsTags(t *testing.T) {
	ctx := context.Background()
	name := accName("fnvpc")
	clients := accClients(t)
	zip, _ := accLambdaZip(t, "vpc")
	const addr = "portico_function.vpc"
	vpcBlock := "vpc_config = {\n    subnet_ids         = [\"subnet-00000001\", \"subnet-00000002\"]\n    security_group_ids = [\"sg-00000001\"]\n  }"
	config := func(vpc string, retention int) string {
		return accProviderConfigWith(accDefaultTags) + accVPCFunctionConfig(name, zip, vpc, retention)
	}
	function := func() *lambda.GetFunctionOutput {
		out, err := clients.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("get function: %v", err)
		}
		return out
	}
	retention := func() (int32, bool) {
		lg, found, err := readLogGroup(ctx, clients.Logs, "/aws/lambda/"+name)
		if err != nil {
			t.Fatalf("read log group: %v", err)
		}
		return int32(lg.RetentionDays), found
	}
	wantTags := map[string]string{"team": "edge", "env": "test", "cost": "42"}
	checkAWS := func(wantSubnets []string, wantRetention int32) resource.TestCheckFunc {
		return func(*terraform.State) error {
			out := function()
			c := out.Configuration
			var subnets []string
			if c.VpcConfig != nil {
				subnets = slices.Sorted(slices.Values(c.VpcConfig.SubnetIds))
			}
			if !slices.Equal(subnets, wantSubnets) {
				return fmt.Errorf("Lambda VpcConfig subnets: got %v, want %v", subnets, wantSubnets)
			}
			if c.TracingConfig == nil || c.TracingConfig.Mode != lambdatypes.TracingModeActive {
				return fmt.Errorf("Lambda TracingConfig: got %+v, want Active", c.TracingConfig)
			}
			if got := visibleTags(out.Tags); !maps.Equal(got, wantTags) {
				return fmt.Errorf("function tags: got %v, want %v (default_tags with tags over them)", got, wantTags)
			}
			if got, found := retention(); !found || got != wantRetention {
				return fmt.Errorf("log group /aws/lambda/%s: got retention %d (found %v), want %d", name, got, found, wantRetention)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: func(s *terraform.State) error {
			if err := accCheckFunctionGone(clients)(s); err != nil {
				return err
			}
			if _, found := retention(); found {
				return fmt.Errorf("log group /aws/lambda/%s is left after destroy", name)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config(vpcBlock, 14),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr(addr, "tracing", "true"),
					resource.TestCheckResourceAttr(addr, "log_retention_days", "14"),
					resource.TestCheckResourceAttr(addr, "log_group_name", "/aws/lambda/"+name),
					resource.TestCheckResourceAttr(addr, "vpc_config.subnet_ids.#", "2"),
					resource.TestCheckResourceAttr(addr, "tags.%", "2"),
					resource.TestCheckResourceAttr(addr, "tags_all.%", "3"),
					resource.TestCheckResourceAttr(addr, "tags_all.team", "edge"),
					resource.TestCheckResourceAttr(addr, "tags_all.env", "test"),
					checkAWS([]string{"subnet-00000001", "subnet-00000002"}, 14),
				),
			},
			{
				// Drift: subnets, a tag and the retention changed behind
				// Terraform's back; the plan puts them back in place.
				PreConfig: func() {
					if _, err := clients.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name),
						VpcConfig: &lambdatypes.VpcConfig{SubnetIds: []string{"subnet-00000003"}, SecurityGroupIds: []string{"sg-00000001"}}}); err != nil {
						t.Fatalf("move the function to another subnet: %v", err)
					}
					arn := aws.ToString(function().Configuration.FunctionArn)
					if _, err := clients.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"team": "someone-else", "extra": "x"}}); err != nil {
						t.Fatalf("tag the function: %v", err)
					}
					if _, err := clients.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/aws/lambda/" + name), RetentionInDays: aws.Int32(7)}); err != nil {
						t.Fatalf("change the retention: %v", err)
					}
				},
				Config: config(vpcBlock, 14),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: checkAWS([]string{"subnet-00000001", "subnet-00000002"}, 14),
			},
			{
				// Drift: the log group deleted; the plan makes it again.
				PreConfig: func() {
					if err := deleteLogGroup(ctx, clients.Logs, "/aws/lambda/"+name); err != nil {
						t.Fatal(err)
					}
				},
				Config: config(vpcBlock, 14),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: checkAWS([]string{"subnet-00000001", "subnet-00000002"}, 14),
			},
			{
				// Out of the VPC, a new retention.
				Config: config("", 90),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr(addr, "vpc_config"),
					checkAWS(nil, 90),
				),
			},
		},
	})
}

// A provider aimed at the wrong account stops before touching anything.
func TestAccProviderAccountGuard(t *testing.T) {
	tests := []struct {
		name, setting string
	}{
		{"not allowed", `allowed_account_ids = ["111111111111"]`},
		{"forbidden", `forbidden_account_ids = ["000000000000"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { accPreCheck(t) },
				ProtoV6ProviderFactories: accProviders,
				Steps: []resource.TestStep{{
					Config:      accProviderConfigWith(tt.setting) + `data "portico_caller" "me" {}`,
					ExpectError: regexpMust(`Wrong AWS account[\s\S]*nothing was read or changed`),
				}},
			})
		})
	}
	// The right account passes.
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		Steps: []resource.TestStep{{
			Config: accProviderConfigWith(`allowed_account_ids = ["000000000000"]`) + `data "portico_caller" "me" {}`,
			Check:  resource.TestCheckResourceAttr("data.portico_caller.me", "account_id", "000000000000"),
		}},
	})
}
