package provider

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Several resources are one item of Portico's state table, whose partition
// key is the string attribute "pk": portico_api_key, portico_limits,
// portico_route_table and portico_grpc_descriptors. These helpers read and
// delete such an item.

// stateItemKey is the key of the state-table item with partition key pk.
func stateItemKey(pk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}}
}

// getStateItem reads the item pk of table with a consistent read. A missing
// item (or table) is a nil item and no error: the resource is gone.
func (c *Clients) getStateItem(ctx context.Context, table, pk string) (map[string]ddbtypes.AttributeValue, error) {
	out, err := c.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: stateItemKey(pk), ConsistentRead: aws.Bool(true)})
	switch {
	case isNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	case len(out.Item) == 0:
		return nil, nil
	}
	return out.Item, nil
}

// deleteStateItem deletes the item pk of table; one already gone is fine.
func (c *Clients) deleteStateItem(ctx context.Context, table, pk string) error {
	_, err := c.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: stateItemKey(pk)})
	if isNotFound(err) {
		return nil
	}
	return err
}
