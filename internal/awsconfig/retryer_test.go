package awsconfig

import (
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The state table's retryer retries a throttle up to three attempts in all,
// each wait within 12.5–100 ms, so that retries fit in a store's timeout.
func TestStateTableRetryer(t *testing.T) {
	r := StateTableRetryer()
	throttle := &ddbtypes.ProvisionedThroughputExceededException{}
	if !r.IsErrorRetryable(throttle) || r.MaxAttempts() != 3 {
		t.Fatalf("got retryable %v, %d attempts; want a throttle retried, 3 attempts", r.IsErrorRetryable(throttle), r.MaxAttempts())
	}
	if r.IsErrorRetryable(&ddbtypes.ConditionalCheckFailedException{}) {
		t.Fatal("got a failed condition retryable, want it not")
	}
	for attempt := 1; attempt <= 4; attempt++ {
		for range 100 {
			d, err := r.RetryDelay(attempt, throttle)
			if err != nil || d < 12500*time.Microsecond || d > 100*time.Millisecond {
				t.Fatalf("attempt %d: got a delay of %s (%v), want 12.5 to 100 ms", attempt, d, err)
			}
		}
	}
}
