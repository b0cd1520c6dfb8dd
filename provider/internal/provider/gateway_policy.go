package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/portico-gw/portico/internal/statetable"
	"github.com/portico-gw/portico/pkg/mesh"
)

// A Portico gateway reads the traffic policies of the services its routes
// call from its own state table (item config#policy#<service>, read with its
// configuration when the revision moves), not from Cloud Map, where reading
// the service attributes would cost every aggregator instance one more call
// per service and refresh interval. portico_service with table_name writes
// the policy to both places in the same apply: the Terraform configuration
// is the one source of truth, Cloud Map serves mesh clients outside Lambda
// and the state table serves the gateway, and a drift of either copy plans a
// write of both.

// gatewayTableAttribute is the table_name attribute of the resources that
// publish a policy to a gateway.
func gatewayTableAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "State table of the Portico gateway that calls this service (`portico_table`, the gateway module's " +
			"`table_name` output): the policy is also written there, as item `" + statetable.PolicyPrefix + "<service name>`, where " +
			"the aggregator reads it with its configuration, so that the gateway's calls follow the policy without reading Cloud Map's " +
			"attributes. The configuration is the one source of truth; a change to either copy outside Terraform plans a write of both. " +
			"Changes in place (the copy moves).",
		Optional:   true,
		Validators: []validator.String{tableNameValidator},
	}
}

// publishPolicy writes the policy of service to the gateway's state table, or
// deletes it when policy is null, and bumps the table's configuration revision.
func (c *Clients) publishPolicy(ctx context.Context, table, service string, policy jsonValue) error {
	key := statetable.PolicyKey(service)
	if policy.IsNull() || policy.IsUnknown() {
		if err := c.deleteConfigItem(ctx, table, key); err != nil {
			return fmt.Errorf("remove the policy of %s from table %s: %w", service, table, err)
		}
		return nil
	}
	doc, err := canonicalPolicy(policy.ValueString())
	if err != nil {
		return err
	}
	if _, err := c.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]ddbtypes.AttributeValue{
			statetable.KeyAttr:      &ddbtypes.AttributeValueMemberS{Value: key},
			statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: doc},
		},
	}); err != nil {
		return fmt.Errorf("write the policy of %s to table %s: %w", service, table, err)
	}
	return c.bumpRevision(ctx, table)
}

// publishedPolicy reads the policy of service from the gateway's state table,
// null when there is none or it does not parse.
func (c *Clients) publishedPolicy(ctx context.Context, table, service string) (jsonValue, error) {
	item, err := c.getStateItem(ctx, table, statetable.PolicyKey(service))
	if err != nil || item == nil {
		return jsonNull(jsonMeshPolicy), err
	}
	doc, _ := item[statetable.DocumentAttr].(*ddbtypes.AttributeValueMemberS)
	if doc == nil {
		return jsonNull(jsonMeshPolicy), nil
	}
	canonical, err := canonicalPolicy(doc.Value)
	if err != nil {
		return jsonNull(jsonMeshPolicy), nil
	}
	return jsonString(jsonMeshPolicy, canonical), nil
}

// canonicalPolicy is a policy's JSON as the mesh reads it and jsonencode
// spells it.
func canonicalPolicy(s string) (string, error) {
	p, err := mesh.ParsePolicy([]byte(s))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	return canonicalJSON(string(b))
}

// reconcilePublished sets *policy to the gateway's copy when table is set and
// the copy differs from *policy (Cloud Map's), so that the next plan writes
// both.
func (c *Clients) reconcilePublished(ctx context.Context, table types.String, service string, policy *jsonValue) error {
	if table.IsNull() || table.ValueString() == "" {
		return nil
	}
	pub, err := c.publishedPolicy(ctx, table.ValueString(), service)
	if err != nil {
		return err
	}
	want := ""
	if !policy.IsNull() {
		if want, err = canonicalPolicy(policy.ValueString()); err != nil {
			want = ""
		}
	}
	got := ""
	if !pub.IsNull() {
		got = pub.ValueString()
	}
	if got != want {
		*policy = pub
	}
	return nil
}
