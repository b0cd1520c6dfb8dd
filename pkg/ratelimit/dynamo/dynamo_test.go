package dynamo

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// fakeAPI evaluates the Store's update and condition against in-memory items
// the way DynamoDB would, so the tests check the requests the Store builds. It
// counts calls.
type fakeAPI struct {
	mu        sync.Mutex
	items     map[string]item
	err       error
	noOldItem bool // answer a failed condition without the old item
	updates   atomic.Int64
	gets      atomic.Int64
}

type item struct{ n, ttl int64 }

func newFake() *fakeAPI { return &fakeAPI{items: map[string]item{}} }

func num(av ddbtypes.AttributeValue) int64 {
	n, _ := strconv.ParseInt(av.(*ddbtypes.AttributeValueMemberN).Value, 10, 64)
	return n
}

func (f *fakeAPI) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.updates.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.UpdateExpression) != Update || aws.ToString(in.ConditionExpression) != Condition ||
		in.ExpressionAttributeNames["#n"] != CountAttr || in.ExpressionAttributeNames["#ttl"] != TTLAttr {
		return nil, errors.New("fake: unexpected expression")
	}
	key := in.Key[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value
	n, capacity, ttl := num(in.ExpressionAttributeValues[":n"]), num(in.ExpressionAttributeValues[":cap"]), num(in.ExpressionAttributeValues[":ttl"])
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[key]
	if ok && it.n > capacity {
		ccf := &ddbtypes.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
		if !f.noOldItem && in.ReturnValuesOnConditionCheckFailure == ddbtypes.ReturnValuesOnConditionCheckFailureAllOld {
			ccf.Item = map[string]ddbtypes.AttributeValue{
				KeyAttr:   &ddbtypes.AttributeValueMemberS{Value: key},
				CountAttr: &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(it.n, 10)},
			}
		}
		return nil, ccf
	}
	if !ok {
		it.ttl = ttl // if_not_exists
	}
	it.n += n
	f.items[key] = it
	return &dynamodb.UpdateItemOutput{Attributes: map[string]ddbtypes.AttributeValue{
		CountAttr: &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(it.n, 10)},
		TTLAttr:   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(it.ttl, 10)},
	}}, nil
}

func (f *fakeAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.gets.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	key := in.Key[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[key]
	if !ok {
		return &dynamodb.GetItemOutput{}, nil
	}
	return &dynamodb.GetItemOutput{Item: map[string]ddbtypes.AttributeValue{
		KeyAttr:   &ddbtypes.AttributeValueMemberS{Value: key},
		CountAttr: &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(it.n, 10)},
		TTLAttr:   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(it.ttl, 10)},
	}}, nil
}

func TestAdd(t *testing.T) {
	far := time.Now().Add(time.Hour).Truncate(time.Second)
	tests := []struct {
		name                string
		start               int64 // counter before
		n, limit            int64
		noOldItem           bool
		wantGranted, wantN  int64
		wantWrites, wantEnd int64 // UpdateItem calls, counter after
	}{
		{"first", -1, 1, 3, false, 1, 1, 1, 1},
		{"below", 1, 1, 3, false, 1, 2, 1, 2},
		{"full", 3, 1, 3, false, 0, 3, 1, 3},
		{"lease", 0, 10, 100, false, 10, 10, 1, 10},
		{"lease exact", 90, 10, 100, false, 10, 100, 1, 100},
		{"lease takes what is left", 95, 10, 100, false, 5, 100, 2, 100},
		{"lease when full", 100, 10, 100, false, 0, 100, 1, 100},
		{"lease over the limit is capped", -1, 10, 4, false, 4, 4, 1, 4},
		{"no old item: falls back to one", 95, 10, 100, true, 1, 96, 2, 96},
		{"no old item, full", 100, 10, 100, true, 0, 100, 2, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFake()
			api.noOldItem = tt.noOldItem
			if tt.start >= 0 {
				api.items[KeyPrefix+"k"] = item{n: tt.start, ttl: far.Unix()}
			}
			s, err := New(api, "portico")
			if err != nil {
				t.Fatal(err)
			}
			granted, n, err := s.Add(context.Background(), "k", tt.n, tt.limit, far)
			if err != nil || granted != tt.wantGranted || n != tt.wantN {
				t.Fatalf("got %d, %d, %v; want %d, %d, nil", granted, n, err, tt.wantGranted, tt.wantN)
			}
			if got := api.updates.Load(); got != tt.wantWrites {
				t.Fatalf("got %d writes, want %d", got, tt.wantWrites)
			}
			if got := api.items[KeyPrefix+"k"]; got.n != tt.wantEnd || got.ttl != far.Unix() {
				t.Fatalf("got item %+v, want n=%d ttl=%d", got, tt.wantEnd, far.Unix())
			}
		})
	}
}

func TestCount(t *testing.T) {
	api := newFake()
	s, _ := New(api, "portico")
	api.items[KeyPrefix+"live"] = item{n: 7, ttl: time.Now().Add(time.Hour).Unix()}
	api.items[KeyPrefix+"expired"] = item{n: 7, ttl: time.Now().Add(-time.Hour).Unix()}
	tests := []struct {
		key  string
		want int64
	}{{"live", 7}, {"expired", 0}, {"absent", 0}}
	for _, tt := range tests {
		if got, err := s.Count(context.Background(), tt.key); err != nil || got != tt.want {
			t.Errorf("%s: got %d, %v; want %d, nil", tt.key, got, err, tt.want)
		}
	}
}

// TestErrorsStayInside: the SDK's error types do not leak out of the package.
func TestErrorsStayInside(t *testing.T) {
	api := newFake()
	api.err = &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "slow down"}
	s, _ := New(api, "portico")
	_, _, err := s.Add(context.Background(), "k", 1, 1, time.Now())
	var apiErr smithy.APIError
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("Add: got %v (SDK type: %v), want an error without the SDK's type", err, errors.As(err, &apiErr))
	}
	if _, err := s.Count(context.Background(), "k"); err == nil || errors.As(err, &apiErr) {
		t.Fatalf("Count: got %v, want an error without the SDK's type", err)
	}
}

func TestNewRefuses(t *testing.T) {
	if _, err := New(nil, "t"); err == nil {
		t.Error("nil API: got nil error, want one")
	}
	if _, err := New(newFake(), ""); err == nil {
		t.Error("no table: got nil error, want one")
	}
}
