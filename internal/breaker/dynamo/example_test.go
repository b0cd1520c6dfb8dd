package dynamo_test

import (
	"context"
	"fmt"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	breakerdynamo "github.com/portico-gw/portico/internal/breaker/dynamo"
)

// What counts for the breaker: DynamoDB did not serve the call.
func ExampleUnavailable() {
	fmt.Println(breakerdynamo.Unavailable(context.DeadlineExceeded))
	fmt.Println(breakerdynamo.Unavailable(&ddbtypes.ProvisionedThroughputExceededException{}))
	fmt.Println(breakerdynamo.Unavailable(&ddbtypes.ConditionalCheckFailedException{}))
	// Output:
	// true
	// true
	// false
}
