//go:build e2e

package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// tableARNPattern matches the ARN of table name.
func tableARNPattern(name string) *regexp.Regexp {
	return regexp.MustCompile(`^arn:aws:dynamodb:[a-z0-9-]+:[0-9]{12}:table/` + regexp.QuoteMeta(name) + `$`)
}

func TestAccTable(t *testing.T) {
	name := accName("table")
	clients := accClients(t)
	config := func(ttl string) string {
		ttlLine := "ttl_attribute = null"
		if ttl != "" {
			ttlLine = fmt.Sprintf("ttl_attribute = %q", ttl)
		}
		return accProviderConfigWith(accDefaultTags) + fmt.Sprintf(`
resource "portico_table" "test" {
  name      = %q
  hash_key  = "pk"
  range_key = "sk"
  %s
  tags      = { data = "state" }
}
`, name, ttlLine)
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { accPreCheck(t) },
		ProtoV6ProviderFactories: accProviders,
		CheckDestroy: accCheckGone("portico_table", func(ctx context.Context, id string, _ map[string]string) (bool, error) {
			_, err := clients.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(id)})
			return accGone(err)
		}),
		Steps: []resource.TestStep{
			{
				Config: config("ttl"),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_table.test", "id", name),
					resource.TestCheckResourceAttr("portico_table.test", "hash_key", "pk"),
					resource.TestCheckResourceAttr("portico_table.test", "range_key", "sk"),
					resource.TestCheckResourceAttr("portico_table.test", "ttl_attribute", "ttl"),
					resource.TestMatchResourceAttr("portico_table.test", "arn", tableARNPattern(name)),
				),
			},
			accImportCommand("portico_table.test", name),
			accImportBlock("portico_table.test", name),
			{
				// Another TTL attribute in one apply: refused at plan time
				// (DynamoDB refuses a second TTL change within an hour).
				Config:      config("expires_at"),
				PlanOnly:    true,
				ExpectError: regexpMust(`TTL attribute cannot change in one apply[\s\S]*two applies`),
			},
			{
				// The documented two steps: disable, ...
				Config: config(""),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckNoResourceAttr("portico_table.test", "ttl_attribute"),
					resource.TestCheckResourceAttr("portico_table.test", "tags_all.%", "3"),
					resource.TestCheckResourceAttr("portico_table.test", "tags_all.data", "state"),
				),
			},
			{
				// ... then (an hour later on AWS) enable the new attribute.
				Config: config("expires_at"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_table.test", plancheck.ResourceActionUpdate)},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestCheckResourceAttr("portico_table.test", "ttl_attribute", "expires_at"),
					func(*terraform.State) error {
						out, err := clients.DynamoDB.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
						if err != nil {
							return err
						}
						if got := aws.ToString(out.TimeToLiveDescription.AttributeName); got != "expires_at" {
							return fmt.Errorf("TTL attribute in DynamoDB: got %q, want expires_at", got)
						}
						return nil
					},
				),
			},
			{
				// Drift: a tag removed and one added behind Terraform's back.
				PreConfig: func() {
					ctx := context.Background()
					arn := "arn:aws:dynamodb:us-east-1:000000000000:table/" + name
					if out, err := clients.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}); err == nil {
						arn = aws.ToString(out.Table.TableArn)
					}
					if _, err := clients.DynamoDB.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"data"}}); err != nil {
						t.Fatalf("untag the table: %v", err)
					}
					if _, err := clients.DynamoDB.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn),
						Tags: []ddbtypes.Tag{{Key: aws.String("owner"), Value: aws.String("someone")}}}); err != nil {
						t.Fatalf("tag the table: %v", err)
					}
				},
				Config: config("expires_at"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_table.test", plancheck.ResourceActionUpdate)},
				},
				Check: func(*terraform.State) error {
					ctx := context.Background()
					out, err := clients.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
					if err != nil {
						return err
					}
					tags, err := (dynamoTags{clients.DynamoDB}).listTags(ctx, aws.ToString(out.Table.TableArn))
					if err != nil {
						return err
					}
					if want := map[string]string{"team": "edge", "env": "acc", "data": "state"}; !maps.Equal(tags, want) {
						return fmt.Errorf("table tags after repair: got %v, want %v", tags, want)
					}
					return nil
				},
			},
			{
				// Drift: the table is deleted behind Terraform's back; the plan re-creates it.
				PreConfig: func() {
					if _, err := clients.DynamoDB.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
						t.Fatalf("delete the table behind Terraform's back: %v", err)
					}
				},
				Config: config("expires_at"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("portico_table.test", plancheck.ResourceActionCreate)},
				},
				Check: resource.TestCheckResourceAttr("portico_table.test", "ttl_attribute", "expires_at"),
			},
		},
	})
}
