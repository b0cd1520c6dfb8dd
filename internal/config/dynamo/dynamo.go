// Package dynamo is the live.Source of the state table (package
// statetable): the revision is one consistent GetItem of the revision item,
// the documents one consistent BatchGetItem per 100 keys.
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
	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/statetable"
)

// API is the part of the DynamoDB client the Source uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Source implements live.Source on a state table.
type Source struct {
	api   API
	table string
}

var _ live.Source = (*Source)(nil)

// New returns a Source on table.
func New(api API, table string) (*Source, error) {
	if api == nil || table == "" {
		return nil, errors.New("config/dynamo: API client and table are required")
	}
	return &Source{api: api, table: table}, nil
}

// Revision implements live.Source: the revision item's number, 0 when there
// is none.
func (s *Source) Revision(ctx context.Context) (int64, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(statetable.RevisionKey),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#r"),
		ExpressionAttributeNames: map[string]string{"#r": statetable.RevisionAttr},
	})
	if err != nil {
		return 0, fmt.Errorf("config/dynamo: read the revision: %s", err.Error())
	}
	n, ok := out.Item[statetable.RevisionAttr].(*ddbtypes.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	rev, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("config/dynamo: revision %q is not a whole number", n.Value)
	}
	return rev, nil
}

// maxBatch is BatchGetItem's limit of keys per call.
const maxBatch = 100

// maxRounds bounds the rounds that ask again for unprocessed keys.
const maxRounds = 5

// Documents implements live.Source: a document is a string DocumentAttr, or
// a binary DescriptorsAttr (descriptor sets).
func (s *Source) Documents(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for start := 0; start < len(keys); start += maxBatch {
		pending := map[string]ddbtypes.KeysAndAttributes{s.table: {ConsistentRead: aws.Bool(true)}}
		ka := pending[s.table]
		for _, k := range keys[start:min(start+maxBatch, len(keys))] {
			ka.Keys = append(ka.Keys, key(k))
		}
		pending[s.table] = ka
		for round := 0; len(pending) > 0; round++ {
			if round == maxRounds {
				return nil, fmt.Errorf("config/dynamo: read %d documents: keys left unprocessed after %d rounds", len(keys), maxRounds)
			}
			if round > 0 {
				if err := sleep(ctx, time.Duration(round)*50*time.Millisecond); err != nil {
					return nil, err
				}
			}
			res, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("config/dynamo: read %d documents: %s", len(keys), err.Error())
			}
			for _, item := range res.Responses[s.table] {
				k, doc, err := document(item)
				if err != nil {
					return nil, err
				}
				out[k] = doc
			}
			pending = res.UnprocessedKeys
		}
	}
	return out, nil
}

func key(k string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: k}}
}

func document(item map[string]ddbtypes.AttributeValue) (string, []byte, error) {
	pk, _ := item[statetable.KeyAttr].(*ddbtypes.AttributeValueMemberS)
	if pk == nil {
		return "", nil, errors.New("config/dynamo: an item without its key")
	}
	switch v := item[statetable.DocumentAttr].(type) {
	case *ddbtypes.AttributeValueMemberS:
		return pk.Value, []byte(v.Value), nil
	}
	if v, ok := item[statetable.DescriptorsAttr].(*ddbtypes.AttributeValueMemberB); ok {
		return pk.Value, v.Value, nil
	}
	return "", nil, fmt.Errorf("config/dynamo: item %s has neither a string %s nor a binary %s", pk.Value, statetable.DocumentAttr, statetable.DescriptorsAttr)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
