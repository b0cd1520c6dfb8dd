package dynamo

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/portico-gw/portico/internal/route"
)

func TestDescriptors(t *testing.T) {
	tests := []struct {
		name    string
		item    map[string]types.AttributeValue
		err     error
		want    string
		wantErr error
	}{
		{"stored", map[string]types.AttributeValue{"descriptors": &types.AttributeValueMemberB{Value: []byte("set")}}, nil, "set", nil},
		{"no item", nil, nil, "", route.ErrNotFound},
		{"not binary", map[string]types.AttributeValue{"descriptors": &types.AttributeValueMemberS{Value: "set"}}, nil, "", route.ErrNotFound},
		{"call fails", nil, errors.New("throttled"), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := &fakeDB{item: tt.item, err: tt.err}
			d, err := NewDescriptors(db, "state")
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Descriptors(context.Background(), "payments")
			if k := db.in.Key["pk"].(*types.AttributeValueMemberS).Value; k != "config#descriptors#payments" || aws.ToString(db.in.TableName) != "state" {
				t.Errorf("got item %s of %s, want config#descriptors#payments of state", k, aws.ToString(db.in.TableName))
			}
			switch {
			case tt.err != nil:
				if err == nil {
					t.Fatal("got no error, want the call's")
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
			case err != nil || string(got) != tt.want:
				t.Fatalf("got %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}
