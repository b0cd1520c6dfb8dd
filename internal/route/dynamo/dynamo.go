// Package dynamo is the DynamoDB Source of route documents: one item of the
// state table, {pk: "config#routes", document: "<JSON>"}, as the provider's
// portico_route_table resource writes it.
package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/route"
)

// Item layout, shared with the provider.
const (
	// DefaultKey is the partition key value of the route table item.
	DefaultKey = "config#routes"
	// KeyAttribute is the table's partition key attribute.
	KeyAttribute = "pk"
	// DocumentAttribute holds the JSON document (type S).
	DocumentAttribute = "document"
)

// GetItemAPI is the one DynamoDB call the Source makes.
type GetItemAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// Source reads the route document from one DynamoDB item.
type Source struct {
	client GetItemAPI
	table  string
	key    string
}

var _ route.Source = (*Source)(nil)

// New returns a Source for the item key (DefaultKey when empty) of table.
func New(client GetItemAPI, table, key string) (*Source, error) {
	if client == nil || table == "" {
		return nil, errors.New("route/dynamo: client and table are required")
	}
	if key == "" {
		key = DefaultKey
	}
	return &Source{client: client, table: table, key: key}, nil
}

// Load returns the stored document, or an error wrapping route.ErrNotFound.
func (s *Source) Load(ctx context.Context) ([]byte, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.table),
		Key:                      map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: s.key}},
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#d"),
		ExpressionAttributeNames: map[string]string{"#d": DocumentAttribute},
	})
	if err != nil {
		return nil, fmt.Errorf("route/dynamo: get %s item %q: %v", s.table, s.key, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("route/dynamo: %s item %q: %w", s.table, s.key, route.ErrNotFound)
	}
	doc, ok := out.Item[DocumentAttribute].(*types.AttributeValueMemberS)
	if !ok {
		return nil, fmt.Errorf("route/dynamo: %s item %q: %w (no string attribute %q)", s.table, s.key, route.ErrNotFound, DocumentAttribute)
	}
	return []byte(doc.Value), nil
}
