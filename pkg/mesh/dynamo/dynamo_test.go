package dynamo

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeAPI evaluates Update and Condition against in-memory items the way
// DynamoDB would, so the tests check the requests Ejections builds.
type fakeAPI struct {
	mu    sync.Mutex
	items map[string]map[string]ddbtypes.AttributeValue
	err   error
	gets  int
}

func newFake() *fakeAPI { return &fakeAPI{items: map[string]map[string]ddbtypes.AttributeValue{}} }

func num(av ddbtypes.AttributeValue) int64 {
	n, _ := strconv.ParseInt(av.(*ddbtypes.AttributeValueMemberN).Value, 10, 64)
	return n
}

func (f *fakeAPI) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.UpdateExpression) != Update || aws.ToString(in.ConditionExpression) != Condition || in.ExpressionAttributeNames["#ttl"] != TTLAttr {
		return nil, errors.New("fake: unexpected expression")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := in.Key[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value
	it := f.items[k]
	if it == nil {
		it = map[string]ddbtypes.AttributeValue{KeyAttr: in.Key[KeyAttr]}
		f.items[k] = it
	}
	e, until := in.ExpressionAttributeNames["#e"], in.ExpressionAttributeValues[":until"]
	if old, ok := it[e]; ok && num(old) >= num(until) {
		return nil, &ddbtypes.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	}
	it[e], it[TTLAttr] = until, in.ExpressionAttributeValues[":ttl"]
	return &dynamodb.UpdateItemOutput{}, nil
}

func (f *fakeAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.err != nil {
		return nil, f.err
	}
	return &dynamodb.GetItemOutput{Item: f.items[in.Key[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value]}, nil
}

var t0 = time.UnixMilli(1_700_000_000_000)

func TestEjectAndEjected(t *testing.T) {
	api := newFake()
	s, err := New(api, "state")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range []struct {
		service, instance string
		until             time.Time
	}{
		{"payment", "a", t0.Add(2 * time.Minute)},
		{"payment", "a", t0.Add(time.Minute)}, // earlier: keeps the later end
		{"payment", "b", t0.Add(time.Second)},
		{"fraud", "c", t0.Add(time.Hour)},
	} {
		if err := s.Eject(ctx, e.service, e.instance, e.until); err != nil {
			t.Fatalf("Eject(%s, %s): %v", e.service, e.instance, err)
		}
	}
	item := api.items["ejection#payment"]
	if got, want := num(item["e:a"]), t0.Add(2*time.Minute).UnixMilli(); got != want {
		t.Errorf("stored end of a: got %d, want %d (the later one)", got, want)
	}
	if got, want := num(item["ttl"]), t0.Add(time.Second+keep).Unix(); got != want {
		t.Errorf("ttl: got %d, want %d (a day after the last write's end)", got, want)
	}
	item["note"] = &ddbtypes.AttributeValueMemberS{Value: "ignored"}
	got, err := s.Ejected(ctx, "payment", t0.Add(time.Second))
	if err != nil || len(got) != 1 || !got["a"].Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("Ejected at t0+1s: got %v, %v; want only a until t0+2m (b's ejection is over)", got, err)
	}
	if got, err := s.Ejected(ctx, "bank", t0); err != nil || len(got) != 0 {
		t.Fatalf("Ejected of a service without an item: got %v, %v; want none", got, err)
	}
}

func TestErrors(t *testing.T) {
	api := newFake()
	api.err = errors.New("ProvisionedThroughputExceededException: slow down")
	s, _ := New(api, "state")
	ctx := context.Background()
	if err := s.Eject(ctx, "payment", "a", t0); err == nil || !strings.Contains(err.Error(), "eject a of payment: ProvisionedThroughput") {
		t.Errorf("Eject: got %v, want the wrapped message", err)
	}
	if _, err := s.Ejected(ctx, "payment", t0); err == nil || !strings.Contains(err.Error(), "read ejections of payment") {
		t.Errorf("Ejected: got %v, want the wrapped message", err)
	}
	if _, err := New(nil, "state"); err == nil {
		t.Error("New(nil, state): got no error, want one")
	}
	if _, err := New(api, ""); err == nil {
		t.Error(`New(api, ""): got no error, want one`)
	}
}
