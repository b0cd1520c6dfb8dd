package dynamo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/portico-gw/portico/internal/breaker"
)

func responseError(status int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: errors.New("x")}}
}

func TestUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"an answer", nil, false},
		{"the call's deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), true},
		{"the caller went away", fmt.Errorf("get: %w", context.Canceled), false},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"closed unanswered", fmt.Errorf("read: %w", io.EOF), true},
		{"a 500", responseError(500), true},
		{"a failed condition", &ddbtypes.ConditionalCheckFailedException{}, false},
		{"a throttle", &ddbtypes.ProvisionedThroughputExceededException{}, true},
		{"a throttle, wrapped", fmt.Errorf("update: %w", &ddbtypes.ProvisionedThroughputExceededException{}), true},
		{"a 400", responseError(400), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unavailable(tt.err); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// hanging answers every call with its context's end.
type hanging struct{ calls int }

func (h *hanging) wait(ctx context.Context) error {
	h.calls++
	<-ctx.Done()
	return ctx.Err()
}

func (h *hanging) GetItem(ctx context.Context, _ *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, h.wait(ctx)
}
func (h *hanging) BatchGetItem(ctx context.Context, _ *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return nil, h.wait(ctx)
}
func (h *hanging) PutItem(ctx context.Context, _ *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, h.wait(ctx)
}
func (h *hanging) UpdateItem(ctx context.Context, _ *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, h.wait(ctx)
}

// A table that hangs costs the first calls their timeouts; once the breaker
// opens, every operation fails at once with ErrOpen and reaches no table.
func TestHangingTableFailsFast(t *testing.T) {
	h := &hanging{}
	c := New(h, breaker.New(breaker.Config{Failures: 3, Cooldown: time.Minute}))
	timed := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	for range 3 {
		if _, err := c.GetItem(timed(), &dynamodb.GetItemInput{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the call's deadline", err)
		}
	}
	calls := []func() error{
		func() error { _, err := c.GetItem(timed(), &dynamodb.GetItemInput{}); return err },
		func() error { _, err := c.BatchGetItem(timed(), &dynamodb.BatchGetItemInput{}); return err },
		func() error { _, err := c.PutItem(timed(), &dynamodb.PutItemInput{}); return err },
		func() error { _, err := c.UpdateItem(timed(), &dynamodb.UpdateItemInput{}); return err },
	}
	for i, call := range calls {
		start := time.Now()
		if err := call(); !errors.Is(err, breaker.ErrOpen) || time.Since(start) > 10*time.Millisecond {
			t.Fatalf("operation %d: got %v after %s, want ErrOpen at once", i, err, time.Since(start))
		}
	}
	if h.calls != 3 {
		t.Fatalf("got %d calls to the table, want the 3 that opened the breaker", h.calls)
	}
}
