package dynamo

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/apikey"
)

type fakeAPI struct {
	items map[string]map[string]ddbtypes.AttributeValue
	in    *dynamodb.GetItemInput
}

func (f *fakeAPI) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.in = in
	return &dynamodb.GetItemOutput{Item: f.items[in.Key["pk"].(*ddbtypes.AttributeValueMemberS).Value]}, nil
}

func TestGet(t *testing.T) {
	h := apikey.Hash("secret")
	api := &fakeAPI{items: map[string]map[string]ddbtypes.AttributeValue{
		KeyPrefix + h: {
			"name": &ddbtypes.AttributeValueMemberS{Value: "acme"}, "tier": &ddbtypes.AttributeValueMemberS{Value: "pro"},
			"enabled": &ddbtypes.AttributeValueMemberBOOL{Value: true},
		},
	}}
	s, err := New(api, "state")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.Get(context.Background(), h)
	if err != nil || rec.Name != "acme" || rec.Tier != "pro" || !rec.Enabled || rec.ID != h[:16] {
		t.Fatalf("got %+v, %v; want acme/pro enabled", rec, err)
	}
	if aws.ToString(api.in.TableName) != "state" || !aws.ToBool(api.in.ConsistentRead) {
		t.Fatalf("got input %+v, want a consistent read of table state", api.in)
	}
	if _, err := s.Get(context.Background(), apikey.Hash("other")); !errors.Is(err, apikey.ErrUnknownKey) {
		t.Fatalf("got %v, want ErrUnknownKey", err)
	}
}
