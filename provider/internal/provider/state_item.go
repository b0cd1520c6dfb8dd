package provider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Several resources are one item of Portico's state table, whose partition
// key is the string attribute "pk": portico_api_key, portico_limits,
// portico_route_table and portico_grpc_descriptors. These helpers read, write
// and delete such an item.

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

// itemExistsError is a create that found its item already written, by
// another configuration or by hand. Portico does not overwrite it: two
// stacks writing one item would silently undo each other.
type itemExistsError struct {
	// What the item is, for example "a limits document".
	What string
	// Table and Key locate the item.
	Table, Key string
	// ImportID is the import ID of the resource that manages the item.
	ImportID string
}

func (e *itemExistsError) Error() string {
	return fmt.Sprintf("table %s already holds %s (item %q), written by another Terraform configuration or by hand, "+
		"and Portico does not overwrite it. To manage it here, import it: `terraform import <address> %s`, "+
		"or an import block with id = %q. Otherwise delete the item, or choose another key.",
		e.Table, e.What, e.Key, e.ImportID, e.ImportID)
}

// putStateItem writes item (whose "pk" is key) to table. With create, only
// when no item has that key: one that does is an *itemExistsError.
func (c *Clients) putStateItem(ctx context.Context, table string, item map[string]ddbtypes.AttributeValue, create bool, exists *itemExistsError) error {
	in := &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}
	if create {
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": "pk"}
	}
	_, err := c.DynamoDB.PutItem(ctx, in)
	if create && hasErrorCode(err, "ConditionalCheckFailedException") && exists != nil {
		return exists
	}
	return err
}

// deleteStateItem deletes the item pk of table; one already gone is fine.
func (c *Clients) deleteStateItem(ctx context.Context, table, pk string) error {
	_, err := c.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: stateItemKey(pk)})
	if isNotFound(err) {
		return nil
	}
	return err
}

// stringAttr is the string attribute name of item, or "" with ok=false.
func stringAttr(item map[string]ddbtypes.AttributeValue, name string) (string, bool) {
	v, ok := item[name].(*ddbtypes.AttributeValueMemberS)
	if !ok {
		return "", false
	}
	return v.Value, true
}
