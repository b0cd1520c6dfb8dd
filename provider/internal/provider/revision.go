package provider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/statetable"
)

// bumpRevision increments the configuration revision of table (the item
// statetable.RevisionKey), after a configuration document was written or
// deleted: the functions read only that small item on every refresh, and read
// the documents again only when it moved. It must follow the document's write,
// never precede it, so that a function that sees the new revision reads the
// new document.
func (c *Clients) bumpRevision(ctx context.Context, table string) error {
	_, err := c.DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       stateItemKey(statetable.RevisionKey),
		UpdateExpression:          aws.String("ADD #rev :one"),
		ExpressionAttributeNames:  map[string]string{"#rev": statetable.RevisionAttr},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":one": &ddbtypes.AttributeValueMemberN{Value: "1"}},
	})
	switch {
	case isNotFound(err):
		return nil // the table is gone: nobody reads it
	case err != nil:
		return fmt.Errorf("bump the configuration revision of %s: %w", table, err)
	}
	return nil
}

// deleteConfigItem deletes the configuration item pk of table (one already
// gone is fine) and bumps the revision.
func (c *Clients) deleteConfigItem(ctx context.Context, table, pk string) error {
	if err := c.deleteStateItem(ctx, table, pk); err != nil {
		return err
	}
	return c.bumpRevision(ctx, table)
}
