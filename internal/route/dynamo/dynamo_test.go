package dynamo

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/route"
)

// fakeDB is a GetItemAPI with one answer.
type fakeDB struct {
	item map[string]types.AttributeValue
	err  error
	in   *dynamodb.GetItemInput
}

func (f *fakeDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.in = in
	return &dynamodb.GetItemOutput{Item: f.item}, f.err
}

func TestLoad(t *testing.T) {
	db := &fakeDB{item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: DefaultKey}, "document": &types.AttributeValueMemberS{Value: `{"version":1}`}}}
	src, err := New(db, "state", "")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := src.Load(context.Background())
	if err != nil || string(doc) != `{"version":1}` {
		t.Fatalf("got %q, %v, want the document", doc, err)
	}
	if key := db.in.Key["pk"].(*types.AttributeValueMemberS).Value; key != DefaultKey || aws.ToString(db.in.TableName) != "state" || !aws.ToBool(db.in.ConsistentRead) {
		t.Errorf("got GetItem %+v, want a consistent read of state/%s", db.in, DefaultKey)
	}
	for name, f := range map[string]*fakeDB{
		"no item":       {},
		"no document":   {item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: DefaultKey}}},
		"number, not S": {item: map[string]types.AttributeValue{"document": &types.AttributeValueMemberN{Value: "1"}}},
	} {
		src, _ := New(f, "state", "k")
		if _, err := src.Load(context.Background()); !errors.Is(err, route.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", name, err)
		}
	}
	src, _ = New(&fakeDB{err: errors.New("throttled")}, "state", "")
	if _, err := src.Load(context.Background()); err == nil || errors.Is(err, route.ErrNotFound) {
		t.Errorf("GetItem error: got %v, want an error other than ErrNotFound", err)
	}
	if _, err := New(nil, "", ""); err == nil {
		t.Error("no client or table: got nil error, want one")
	}
}
