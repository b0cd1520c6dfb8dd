// Command echofn is the Lambda function of the provider's acceptance tests
// that call an API: with ROLE=authorizer it allows every request (a REST API
// REQUEST authorizer's answer), otherwise it answers every proxy request
// 200 with the body BODY, so a test can tell which function served a call.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	if os.Getenv("ROLE") == "authorizer" {
		lambda.Start(func(_ context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
			return events.APIGatewayCustomAuthorizerResponse{
				PrincipalID: "acceptance-test",
				PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
					Version:   "2012-10-17",
					Statement: []events.IAMPolicyStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{"*"}}},
				},
			}, nil
		})
		return
	}
	body := os.Getenv("BODY")
	lambda.Start(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: body, Headers: map[string]string{"Content-Type": "text/plain"}}, nil
	})
}
