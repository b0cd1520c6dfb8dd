// Package dynamo is the DynamoDB Store of package ratelimit. Each counter is one
// item {pk: key, n: count, ttl: expiry}; a decision is one conditional
// UpdateItem that adds 1 only while n is below the limit.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/pkg/ratelimit"
)

// Attribute names of a counter item. The table's hash key is KeyAttr (string)
// and its TTL attribute is TTLAttr.
const (
	KeyAttr   = "pk"
	CountAttr = "n"
	TTLAttr   = "ttl"
)

// API is the part of the DynamoDB client the Store uses.
type API interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Store implements ratelimit.Store on a DynamoDB table.
type Store struct {
	api   API
	table string
}

var _ ratelimit.Store = (*Store)(nil)

// New returns a Store on table.
func New(api API, table string) (*Store, error) {
	if api == nil {
		return nil, errors.New("ratelimit/dynamo: API client is required")
	}
	if table == "" {
		return nil, errors.New("ratelimit/dynamo: table name is required")
	}
	return &Store{api: api, table: table}, nil
}

// Take implements ratelimit.Store with one conditional write. A failed condition
// means the limit is reached: the request is denied and nothing is written.
func (s *Store) Take(ctx context.Context, key string, limit int64, expires time.Time) (int64, bool, error) {
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 map[string]ddbtypes.AttributeValue{KeyAttr: &ddbtypes.AttributeValueMemberS{Value: key}},
		UpdateExpression:    aws.String("ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)"),
		ConditionExpression: aws.String("attribute_not_exists(#n) OR #n < :limit"),
		ExpressionAttributeNames: map[string]string{
			"#n":   CountAttr,
			"#ttl": TTLAttr,
		},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":one":   &ddbtypes.AttributeValueMemberN{Value: "1"},
			":limit": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(limit, 10)},
			":ttl":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)},
		},
		ReturnValues: ddbtypes.ReturnValueUpdatedNew,
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return limit, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("ratelimit/dynamo: update counter %q: %s", key, err.Error())
	}
	n, ok := out.Attributes[CountAttr].(*ddbtypes.AttributeValueMemberN)
	if !ok {
		return 0, false, fmt.Errorf("ratelimit/dynamo: update counter %q: no %s in the answer", key, CountAttr)
	}
	count, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("ratelimit/dynamo: update counter %q: count %q: %w", key, n.Value, err)
	}
	return count, true, nil
}
