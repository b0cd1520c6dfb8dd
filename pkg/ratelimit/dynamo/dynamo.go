// Package dynamo is the DynamoDB Store of package ratelimit.
//
// Each counter is one item
//
//	{pk: "rl#<limit>#<key>#<window start, Unix s>[#s<shard>]", n: count, ttl: expiry (Unix s)}
//
// in a table whose hash key is pk (string) and whose TTL attribute is ttl.
// Every counter key starts with KeyPrefix, whatever the limit is named, so
// that an IAM policy can allow writes to counters and nothing else of a
// shared table (the dynamodb:LeadingKeys condition key). A
// decision or a lease is one conditional UpdateItem,
//
//	ADD n :n SET ttl = if_not_exists(ttl, :ttl)
//	condition: attribute_not_exists(n) OR n <= :max − :n
//
// which never takes n above the limit. When the condition fails, DynamoDB
// returns the item as it was (ReturnValuesOnConditionCheckFailure ALL_OLD);
// if fewer than :n tokens are left, the Store asks again for what is left.
// The sliding window reads the previous window's item once with GetItem.
//
// Configure the SDK client with few or no retries of its own
// (RetryMaxAttempts 1): the Limiter retries within the caller's deadline.
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
	// KeyPrefix starts every counter's key.
	KeyPrefix = "rl#"
)

// Condition and update of every write, exported for tests that evaluate them.
const (
	Update    = "ADD #n :n SET #ttl = if_not_exists(#ttl, :ttl)"
	Condition = "attribute_not_exists(#n) OR #n <= :cap"
)

// maxTries bounds the "take what is left" rounds of one Add under contention.
const maxTries = 4

// API is the part of the DynamoDB client the Store uses.
type API interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
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

// Add implements ratelimit.Store: one conditional write when n tokens are
// left, a second one for what is left when fewer are, and none when the
// counter is known to be full (a failed condition writes nothing).
func (s *Store) Add(ctx context.Context, key string, n, limit int64, expires time.Time) (int64, int64, error) {
	n = min(n, limit)
	var count int64
	for range maxTries {
		if n <= 0 {
			return 0, count, nil
		}
		c, ok, err := s.update(ctx, key, n, limit, expires)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			return n, c, nil
		}
		if c < 0 {
			// No old item in the answer: only "full" is certain for n = 1.
			if n == 1 {
				return 0, limit, nil
			}
			n = 1
			continue
		}
		count = c
		n = min(n, limit-c)
	}
	return 0, count, nil
}

// update adds n if the counter stays at or below limit. It returns the count
// after the write, or, when the condition failed, the count before it (-1 if
// DynamoDB did not return the item).
func (s *Store) update(ctx context.Context, key string, n, limit int64, expires time.Time) (int64, bool, error) {
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 map[string]ddbtypes.AttributeValue{KeyAttr: &ddbtypes.AttributeValueMemberS{Value: KeyPrefix + key}},
		UpdateExpression:    aws.String(Update),
		ConditionExpression: aws.String(Condition),
		ExpressionAttributeNames: map[string]string{
			"#n":   CountAttr,
			"#ttl": TTLAttr,
		},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":n":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)},
			":cap": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(limit-n, 10)},
			":ttl": &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)},
		},
		ReturnValues:                        ddbtypes.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		if failed.Item == nil {
			return -1, false, nil
		}
		c, err := count(failed.Item)
		if err != nil {
			return 0, false, fmt.Errorf("ratelimit/dynamo: update counter %q: %w", key, err)
		}
		return c, false, nil
	}
	if err != nil {
		// The SDK's error types stay inside this package.
		return 0, false, fmt.Errorf("ratelimit/dynamo: update counter %q: %s", key, err.Error())
	}
	c, err := count(out.Attributes)
	if err != nil {
		return 0, false, fmt.Errorf("ratelimit/dynamo: update counter %q: %w", key, err)
	}
	return c, true, nil
}

// Count implements ratelimit.Store with a strongly consistent GetItem. An
// item past its TTL that DynamoDB has not deleted yet counts as none.
func (s *Store) Count(ctx context.Context, key string) (int64, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]ddbtypes.AttributeValue{KeyAttr: &ddbtypes.AttributeValueMemberS{Value: KeyPrefix + key}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, fmt.Errorf("ratelimit/dynamo: read counter %q: %s", key, err.Error())
	}
	if out.Item == nil {
		return 0, nil
	}
	if ttl, ok := out.Item[TTLAttr].(*ddbtypes.AttributeValueMemberN); ok {
		if exp, err := strconv.ParseInt(ttl.Value, 10, 64); err == nil && time.Now().Unix() >= exp {
			return 0, nil
		}
	}
	c, err := count(out.Item)
	if err != nil {
		return 0, fmt.Errorf("ratelimit/dynamo: read counter %q: %w", key, err)
	}
	return c, nil
}

func count(item map[string]ddbtypes.AttributeValue) (int64, error) {
	n, ok := item[CountAttr].(*ddbtypes.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("no %s in the item", CountAttr)
	}
	c, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", n.Value, err)
	}
	return c, nil
}
