// Package dynamo is the DynamoDB Store of package apikey. A key is one item of
// the state table:
//
//	{pk: "apikey#<sha256 hex>", name, tier, enabled}
package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/apikey"
	"github.com/portico-gw/portico/internal/statetable"
)

// KeyPrefix prefixes the hash in the item's pk (package statetable).
const KeyPrefix = statetable.APIKeyPrefix

// API is the part of the DynamoDB client the Store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// Store implements apikey.Store.
type Store struct {
	api   API
	table string
}

var _ apikey.Store = (*Store)(nil)

// New returns a Store on table.
func New(api API, table string) (*Store, error) {
	if api == nil || table == "" {
		return nil, errors.New("apikey/dynamo: API client and table are required")
	}
	return &Store{api: api, table: table}, nil
}

// Get implements apikey.Store with one consistent GetItem.
func (s *Store) Get(ctx context.Context, hash string) (apikey.Record, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.APIKeyKey(hash)}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return apikey.Record{}, fmt.Errorf("apikey/dynamo: get %.16s: %s", hash, err.Error())
	}
	if len(out.Item) == 0 {
		return apikey.Record{}, apikey.ErrUnknownKey
	}
	str := func(k string) string {
		v, _ := out.Item[k].(*ddbtypes.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	enabled, _ := out.Item[statetable.APIKeyEnabledAttr].(*ddbtypes.AttributeValueMemberBOOL)
	return apikey.Record{ID: hash[:16], Name: str(statetable.APIKeyNameAttr), Tier: str(statetable.APIKeyTierAttr), Enabled: enabled != nil && enabled.Value}, nil
}
