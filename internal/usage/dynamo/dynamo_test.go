package dynamo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/usage"
)

// fakeAPI records updates and serves reads from items, leaving the first
// read's keys after the first unprocessed once.
type fakeAPI struct {
	mu          sync.Mutex
	updates     []*dynamodb.UpdateItemInput
	items       map[string]map[string]ddbtypes.AttributeValue
	reads       int
	unprocessed bool
	fail        error
}

func (f *fakeAPI) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, in)
	return &dynamodb.UpdateItemOutput{}, f.fail
}

func (f *fakeAPI) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]ddbtypes.AttributeValue{}}
	for table, ka := range in.RequestItems {
		if len(ka.Keys) > 100 || ka.ConsistentRead == nil || !*ka.ConsistentRead {
			return nil, errors.New("ValidationException")
		}
		keys := ka.Keys
		if f.unprocessed && len(keys) > 1 {
			f.unprocessed = false
			out.UnprocessedKeys = map[string]ddbtypes.KeysAndAttributes{table: {Keys: keys[1:], ConsistentRead: ka.ConsistentRead}}
			keys = keys[:1]
		}
		for _, k := range keys {
			if item, ok := f.items[k["pk"].(*ddbtypes.AttributeValueMemberS).Value]; ok {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

func TestAddWritesCountersAndIndex(t *testing.T) {
	api := &fakeAPI{}
	s, err := New(api, "state", 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	err = s.Add(context.Background(), hour, []usage.Item{
		{Kind: usage.Key, ID: "k1", Total: 5, Routes: map[string]int64{"users": 3, "search": 2}},
		{Kind: usage.Tenant, ID: "acme", Total: 5, Routes: map[string]int64{"users": 5}},
		{Kind: usage.Route, ID: "users", Total: 8},
	})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*dynamodb.UpdateItemInput{}
	for _, in := range api.updates {
		byKey[in.Key["pk"].(*ddbtypes.AttributeValueMemberS).Value] = in
	}
	const h = "1767261600"
	k1 := byKey["usage#"+h+"#key#k1"]
	if k1 == nil || *k1.UpdateExpression != "ADD #n :n, #r0 :r0, #r1 :r1 SET #ttl = if_not_exists(#ttl, :ttl)" ||
		k1.ExpressionAttributeNames["#r0"] != "r:search" || k1.ExpressionAttributeNames["#r1"] != "r:users" ||
		k1.ExpressionAttributeValues[":r1"].(*ddbtypes.AttributeValueMemberN).Value != "3" ||
		k1.ExpressionAttributeValues[":ttl"].(*ddbtypes.AttributeValueMemberN).Value != "1767434400" {
		t.Fatalf("key counter: got %+v", k1)
	}
	idx := byKey["usage#"+h]
	if idx == nil || *idx.UpdateExpression != "ADD #key :key, #tenant :tenant, #route :route SET #ttl = if_not_exists(#ttl, :ttl)" ||
		!slices.Equal(idx.ExpressionAttributeValues[":key"].(*ddbtypes.AttributeValueMemberSS).Value, []string{"k1"}) {
		t.Fatalf("index: got %+v", idx)
	}
	if len(api.updates) != 4 {
		t.Fatalf("got %d writes, want 3 counters and the index", len(api.updates))
	}
	api.fail = errors.New("ProvisionedThroughputExceededException")
	if err := s.Add(context.Background(), hour, []usage.Item{{Kind: usage.Route, ID: "r", Total: 1}}); err == nil || !strings.Contains(err.Error(), "usage#"+h+"#route#r") {
		t.Fatalf("a failing write: got %v, want an error naming the item", err)
	}
}

func TestReadByIndexWithoutScan(t *testing.T) {
	n := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberN{Value: v} }
	s0 := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	api := &fakeAPI{unprocessed: true, items: map[string]map[string]ddbtypes.AttributeValue{
		"usage#1767261600":               {"pk": s0("usage#1767261600"), "tenants": &ddbtypes.AttributeValueMemberSS{Value: []string{"acme", "globex"}}},
		"usage#1767261600#tenant#acme":   {"pk": s0("usage#1767261600#tenant#acme"), "n": n("4"), "r:users": n("4"), "ttl": n("9")},
		"usage#1767261600#tenant#globex": {"pk": s0("usage#1767261600#tenant#globex"), "n": n("1")},
	}}
	s, _ := New(api, "state", 0)
	hour := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	rows, err := s.Read(context.Background(), hour, hour.Add(30*time.Minute), usage.Tenant, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != "acme" || rows[0].Total != 4 || rows[0].Routes["users"] != 4 || rows[1].ID != "globex" || rows[1].Total != 1 {
		t.Fatalf("got %+v, want acme 4 (users 4) and globex 1", rows)
	}
	if api.reads != 3 {
		t.Fatalf("got %d reads, want 3 (the index, the counters, their unprocessed rest)", api.reads)
	}
	if _, err := s.Read(context.Background(), hour, hour.Add(40*24*time.Hour), usage.Tenant, nil); err == nil {
		t.Fatalf("40 days: got no error, want one (at most 31 days per read)")
	}
}
