package faultproxy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// emulator answers every DynamoDB GetItem with an empty item.
func emulator(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func client(t *testing.T, p *Proxy) *dynamodb.Client {
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: aws.AnonymousCredentials{},
	})
}

func get(ctx context.Context, c *dynamodb.Client, key string) error {
	_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: key}}})
	return err
}

func TestFaults(t *testing.T) {
	p, err := New(emulator(t).URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, p)
	ctx := context.Background()
	tests := []struct {
		name  string
		fault Fault
		key   string
		check func(error) bool
	}{
		{"no fault passes", Fault{}, "apikey#1", func(err error) bool { return err == nil }},
		{"other key prefix passes", Fault{Operation: "GetItem", KeyPrefix: "rl#", Kind: Refuse}, "apikey#1", func(err error) bool { return err == nil }},
		{"other operation passes", Fault{Operation: "UpdateItem", Kind: Refuse}, "apikey#1", func(err error) bool { return err == nil }},
		{"throttled with DynamoDB's error", Fault{Operation: "GetItem", Kind: Throttle, Code: "ProvisionedThroughputExceededException"}, "rl#x", func(err error) bool {
			var e *ddbtypes.ProvisionedThroughputExceededException
			return errors.As(err, &e)
		}},
		{"server error", Fault{Operation: "GetItem", Kind: ServerError}, "rl#x", func(err error) bool {
			var e smithy.APIError
			return errors.As(err, &e) && e.ErrorCode() == "InternalServerError"
		}},
		{"refused", Fault{Operation: "GetItem", KeyPrefix: "rl#", Kind: Refuse}, "rl#x", func(err error) bool { return err != nil }},
		{"delayed, then passed", Fault{Operation: "GetItem", Kind: Delay, Delay: 10 * time.Millisecond}, "rl#x", func(err error) bool { return err == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault.Kind != 0 {
				p.Set(tt.fault)
			} else {
				p.Clear()
			}
			if err := get(ctx, c, tt.key); !tt.check(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("hang until the caller gives up", func(t *testing.T) {
		p.Set(Fault{Operation: "GetItem", Kind: Hang})
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := get(ctx, c, "cache#1"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the caller's deadline", err)
		}
	})
	if faulted, seen := p.Hits("GetItem"); faulted != 5 || seen != 8 {
		t.Fatalf("got %d faulted of %d GetItem calls, want 5 of 8", faulted, seen)
	}
}

func TestNewRefusesBadTarget(t *testing.T) {
	for _, target := range []string{"", "localhost:4566", "ftp://x"} {
		if _, err := New(target, nil); err == nil {
			t.Errorf("New(%q): got nil error, want one", target)
		}
	}
}

// Accesses lists each operation with every item key it named, batches and
// transactions included: what an IAM role must allow.
func TestAccesses(t *testing.T) {
	p, err := New(emulator(t).URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, p)
	ctx := context.Background()
	key := func(k string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: k}}
	}
	get(ctx, c, "config#revision")
	get(ctx, c, "config#revision")
	c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{
		"t": {Keys: []map[string]ddbtypes.AttributeValue{key("config#routes"), key("config#limits")}}}})
	c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{
		"t": {{PutRequest: &ddbtypes.PutRequest{Item: key("usage#1")}}, {DeleteRequest: &ddbtypes.DeleteRequest{Key: key("usage#2")}}}}})
	c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		{Update: &ddbtypes.Update{TableName: aws.String("t"), Key: key("rl#a"), UpdateExpression: aws.String("ADD n :one")}}}})
	c.ListTables(ctx, &dynamodb.ListTablesInput{})
	want := []Access{
		{"BatchGetItem", "config#limits"}, {"BatchGetItem", "config#routes"},
		{"BatchWriteItem", "usage#1"}, {"BatchWriteItem", "usage#2"},
		{"GetItem", "config#revision"},
		{"ListTables", ""},
		{"TransactWriteItems", "rl#a"},
	}
	if got := p.Accesses(); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
