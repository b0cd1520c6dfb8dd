// Package dynamo puts a breaker.Breaker in front of a DynamoDB client: the
// state table's stores (configuration, limits, API keys, cache, shared
// discovery) share one, so that a table that stopped answering, or throttles
// every call, costs each request no wait once the breaker has opened.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/portico-gw/portico/internal/breaker"
)

// API is the part of the DynamoDB client the state table's stores use.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Client is an API behind a Breaker.
type Client struct {
	api API
	b   *breaker.Breaker
}

var _ API = (*Client)(nil)

// New returns api behind b.
func New(api API, b *breaker.Breaker) *Client { return &Client{api: api, b: b} }

// Unavailable reports whether err says DynamoDB did not serve the call: the
// call's deadline passed, the connection failed, the service answered 5xx,
// or it throttled (a throttled call, retried within the store's timeout,
// costs the request that timeout as surely as one that hangs). A caller
// that went away (context.Canceled) and DynamoDB's other answers (a failed
// condition, a validation error) are not.
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable":
			return true
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode() >= 500 || re.HTTPStatusCode() == 0
	}
	var ne net.Error
	return errors.As(err, &ne)
}

func call[T any](ctx context.Context, c *Client, op func(context.Context) (T, error)) (T, error) {
	if err := c.b.Allow(); err != nil {
		var zero T
		return zero, fmt.Errorf("state table: %w", err)
	}
	out, err := op(ctx)
	c.b.Done(Unavailable(err))
	return out, err
}

// GetItem implements API.
func (c *Client) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return call(ctx, c, func(ctx context.Context) (*dynamodb.GetItemOutput, error) { return c.api.GetItem(ctx, in, opts...) })
}

// BatchGetItem implements API.
func (c *Client) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return call(ctx, c, func(ctx context.Context) (*dynamodb.BatchGetItemOutput, error) {
		return c.api.BatchGetItem(ctx, in, opts...)
	})
}

// PutItem implements API.
func (c *Client) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return call(ctx, c, func(ctx context.Context) (*dynamodb.PutItemOutput, error) { return c.api.PutItem(ctx, in, opts...) })
}

// UpdateItem implements API.
func (c *Client) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return call(ctx, c, func(ctx context.Context) (*dynamodb.UpdateItemOutput, error) {
		return c.api.UpdateItem(ctx, in, opts...)
	})
}
