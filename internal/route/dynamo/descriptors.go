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

// Item layout of a descriptor set, shared with the provider's
// portico_grpc_descriptors: {pk: DescriptorsKeyPrefix + name, descriptors: B}.
const (
	// DescriptorsKeyPrefix starts the partition key of a descriptor set item.
	DescriptorsKeyPrefix = "config#descriptors#"
	// DescriptorsAttribute holds the binary FileDescriptorSet (type B).
	DescriptorsAttribute = "descriptors"
)

// DescriptorsKey is the partition key of the descriptor set name.
func DescriptorsKey(name string) string { return DescriptorsKeyPrefix + name }

// Descriptors reads stored gRPC descriptor sets from a table.
type Descriptors struct {
	client GetItemAPI
	table  string
}

// NewDescriptors returns a Descriptors reader for table.
func NewDescriptors(client GetItemAPI, table string) (*Descriptors, error) {
	if client == nil || table == "" {
		return nil, errors.New("route/dynamo: client and table are required")
	}
	return &Descriptors{client: client, table: table}, nil
}

// Descriptors returns the descriptor set stored under name, or an error
// wrapping route.ErrNotFound.
func (d *Descriptors) Descriptors(ctx context.Context, name string) ([]byte, error) {
	key := DescriptorsKey(name)
	out, err := d.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(d.table),
		Key:                      map[string]types.AttributeValue{KeyAttribute: &types.AttributeValueMemberS{Value: key}},
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#d"),
		ExpressionAttributeNames: map[string]string{"#d": DescriptorsAttribute},
	})
	if err != nil {
		return nil, fmt.Errorf("route/dynamo: get %s item %q: %v", d.table, key, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("route/dynamo: %s item %q: %w", d.table, key, route.ErrNotFound)
	}
	b, ok := out.Item[DescriptorsAttribute].(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("route/dynamo: %s item %q: %w (no binary attribute %q)", d.table, key, route.ErrNotFound, DescriptorsAttribute)
	}
	return b.Value, nil
}
