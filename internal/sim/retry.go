package sim

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
	ratelimitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
)

// Retries puts the AWS SDK's own retries in front of a model, as a Lambda
// instance's SDK client has them, driven the way the SDK's retry middleware
// drives them. Build one per simulated function instance: the retry quota
// belongs to a client.
//
// DynamoDB clients get the aggregator's retryer (awsconfig.StateTableRetryer:
// the standard retryer's 3 attempts and retry quota, a 25–100 ms backoff);
// Cloud Map clients the SDK's default standard retryer (backoff of a random
// share of 1, then 2 s).
func Retries() aws.RetryerV2 { return retry.NewStandard() }

// StateTableRetries is the aggregator's DynamoDB retryer.
func StateTableRetries() aws.RetryerV2 { return awsconfig.StateTableRetryer() }

// sdkCall runs op with the retryer's attempts, backoff and quota.
func sdkCall[T any](ctx context.Context, r aws.RetryerV2, op func(context.Context) (T, error)) (T, error) {
	release := func(error) error { return nil }
	for attempt := 1; ; attempt++ {
		var zero T
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		releaseAttempt, err := r.GetAttemptToken(ctx)
		if err != nil {
			return zero, fmt.Errorf("failed to get retry Send token, %w", err)
		}
		out, err := op(ctx)
		release(err)
		releaseAttempt(err)
		if err == nil {
			return out, nil
		}
		if !r.IsErrorRetryable(err) {
			return zero, err
		}
		if max := r.MaxAttempts(); max > 0 && attempt >= max {
			return zero, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
		}
		if release, err = r.GetRetryToken(ctx, err); err != nil {
			return zero, fmt.Errorf("retry quota exceeded, %w", err)
		}
		delay, derr := r.RetryDelay(attempt, err)
		if derr != nil {
			return zero, derr
		}
		if werr := wait(ctx, delay); werr != nil {
			return zero, werr
		}
	}
}

// DynamoClient is a function instance's DynamoDB client on the model: the
// SDK's retries in front of a shared Dynamo.
type DynamoClient struct {
	D *Dynamo
	R aws.RetryerV2
}

var _ ratelimitdynamo.API = DynamoClient{}

// UpdateItem implements ratelimitdynamo.API.
func (c DynamoClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return sdkCall(ctx, c.R, func(ctx context.Context) (*dynamodb.UpdateItemOutput, error) { return c.D.UpdateItem(ctx, in) })
}

// GetItem implements ratelimitdynamo.API.
func (c DynamoClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return sdkCall(ctx, c.R, func(ctx context.Context) (*dynamodb.GetItemOutput, error) { return c.D.GetItem(ctx, in) })
}

// CloudMapClient is a function instance's Cloud Map client on the model.
type CloudMapClient struct {
	M *CloudMap
	R aws.RetryerV2
}

var _ cloudmap.API = CloudMapClient{}

// DiscoverInstances implements cloudmap.API.
func (c CloudMapClient) DiscoverInstances(ctx context.Context, in *servicediscovery.DiscoverInstancesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesOutput, error) {
	return sdkCall(ctx, c.R, func(ctx context.Context) (*servicediscovery.DiscoverInstancesOutput, error) {
		return c.M.DiscoverInstances(ctx, in)
	})
}

// DiscoverInstancesRevision implements cloudmap.API.
func (c CloudMapClient) DiscoverInstancesRevision(ctx context.Context, in *servicediscovery.DiscoverInstancesRevisionInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesRevisionOutput, error) {
	return sdkCall(ctx, c.R, func(ctx context.Context) (*servicediscovery.DiscoverInstancesRevisionOutput, error) {
		return c.M.DiscoverInstancesRevision(ctx, in)
	})
}
