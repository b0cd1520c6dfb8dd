package dynamo

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeAPI evaluates the Store's condition against an in-memory count, the way
// DynamoDB would, so the test checks the request the Store builds.
type fakeAPI struct {
	counts map[string]int64
	err    error
}

func (f *fakeAPI) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	key := in.Key[KeyAttr].(*ddbtypes.AttributeValueMemberS).Value
	limit := in.ExpressionAttributeValues[":limit"].(*ddbtypes.AttributeValueMemberN).Value
	if aws.ToString(in.ConditionExpression) != "attribute_not_exists(#n) OR #n < :limit" || in.ExpressionAttributeNames["#n"] != CountAttr {
		return nil, errors.New("unexpected condition")
	}
	var l int64
	for _, c := range limit {
		l = l*10 + int64(c-'0')
	}
	if f.counts[key] >= l {
		return nil, &ddbtypes.ConditionalCheckFailedException{}
	}
	f.counts[key]++
	return &dynamodb.UpdateItemOutput{Attributes: map[string]ddbtypes.AttributeValue{
		CountAttr: &ddbtypes.AttributeValueMemberN{Value: itoa(f.counts[key])},
	}}, nil
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestTake(t *testing.T) {
	api := &fakeAPI{counts: map[string]int64{}}
	s, err := New(api, "portico")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	exp := time.Unix(1800000000, 0)
	for i := int64(1); i <= 2; i++ {
		n, ok, err := s.Take(ctx, "k", 2, exp)
		if err != nil || !ok || n != i {
			t.Fatalf("take %d: got %d, %v, %v; want %d, true, nil", i, n, ok, err, i)
		}
	}
	n, ok, err := s.Take(ctx, "k", 2, exp)
	if err != nil || ok || n != 2 {
		t.Fatalf("over the limit: got %d, %v, %v; want 2, false, nil", n, ok, err)
	}
}

func TestTakeError(t *testing.T) {
	s, _ := New(&fakeAPI{err: errors.New("ProvisionedThroughputExceededException")}, "portico")
	if _, ok, err := s.Take(context.Background(), "k", 1, time.Now()); err == nil || ok {
		t.Fatalf("got ok=%v err=%v, want an error and not ok", ok, err)
	}
}
