// Command barefn is the baseline of the cold-start and warm-cost
// benchmarks (tests/coldstart): a provided.al2023 Go function, built as the
// functions are, that only answers every API Gateway proxy event with 200.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
	})
}
