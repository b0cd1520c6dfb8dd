package dynamo

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/statetable"
)

// fakeAPI holds items by key and leaves every other key unprocessed in a
// BatchGetItem's first round, as DynamoDB may under load.
type fakeAPI struct {
	items   map[string]map[string]ddbtypes.AttributeValue
	batches int
	gets    int
}

func (f *fakeAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.gets++
	if !*in.ConsistentRead {
		return nil, fmt.Errorf("want a consistent read")
	}
	k := in.Key[statetable.KeyAttr].(*ddbtypes.AttributeValueMemberS).Value
	return &dynamodb.GetItemOutput{Item: f.items[k]}, nil
}

func (f *fakeAPI) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.batches++
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]ddbtypes.AttributeValue{}, UnprocessedKeys: map[string]ddbtypes.KeysAndAttributes{}}
	for table, ka := range in.RequestItems {
		if len(ka.Keys) > 100 {
			return nil, fmt.Errorf("%d keys in one call, more than 100", len(ka.Keys))
		}
		var left []map[string]ddbtypes.AttributeValue
		for i, key := range ka.Keys {
			k := key[statetable.KeyAttr].(*ddbtypes.AttributeValueMemberS).Value
			if f.batches == 1 && i%2 == 1 {
				left = append(left, key)
				continue
			}
			if item, ok := f.items[k]; ok {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
		if len(left) > 0 {
			out.UnprocessedKeys[table] = ddbtypes.KeysAndAttributes{Keys: left, ConsistentRead: ka.ConsistentRead}
		}
	}
	return out, nil
}

func doc(k, v string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: k}, statetable.DocumentAttr: &ddbtypes.AttributeValueMemberS{Value: v}}
}

func TestSource(t *testing.T) {
	api := &fakeAPI{items: map[string]map[string]ddbtypes.AttributeValue{
		statetable.RevisionKey: {statetable.KeyAttr: &ddbtypes.AttributeValueMemberS{Value: statetable.RevisionKey}, statetable.RevisionAttr: &ddbtypes.AttributeValueMemberN{Value: "42"}},
		statetable.RoutesKey:   doc(statetable.RoutesKey, `{"version":1}`),
		statetable.LimitsKey:   doc(statetable.LimitsKey, `{"version":1,"rules":[]}`),
		statetable.DescriptorsKey("p"): {
			statetable.KeyAttr:         &ddbtypes.AttributeValueMemberS{Value: statetable.DescriptorsKey("p")},
			statetable.DescriptorsAttr: &ddbtypes.AttributeValueMemberB{Value: []byte{1, 2, 3}},
		},
	}}
	for i := range 150 {
		k := statetable.PolicyKey(fmt.Sprintf("svc-%d", i))
		api.items[k] = doc(k, "{}")
	}
	s, err := New(api, "state")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if rev, err := s.Revision(ctx); err != nil || rev != 42 {
		t.Fatalf("got revision %d %v, want 42", rev, err)
	}
	keys := []string{statetable.RoutesKey, statetable.LimitsKey, statetable.AuthKey, statetable.DescriptorsKey("p")}
	for i := range 150 {
		keys = append(keys, statetable.PolicyKey(fmt.Sprintf("svc-%d", i)))
	}
	docs, err := s.Documents(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 153 || string(docs[statetable.RoutesKey]) != `{"version":1}` || string(docs[statetable.DescriptorsKey("p")]) != "\x01\x02\x03" {
		t.Fatalf("got %d documents, want 153 with the route table and the binary descriptor set", len(docs))
	}
	if _, ok := docs[statetable.AuthKey]; ok {
		t.Fatal("got a document for a key that holds none")
	}
	delete(api.items, statetable.RevisionKey)
	if rev, err := s.Revision(ctx); err != nil || rev != 0 {
		t.Fatalf("no revision item: got %d %v, want 0", rev, err)
	}
}
