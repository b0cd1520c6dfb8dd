//go:build e2e

package tests

// This file's name sorts last on purpose: go test runs the tests of a package
// file by file in name order, and these two must run after every other test
// that uses the stack TestMain applied.

import (
	"context"
	"errors"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
)

// After apply, a plan shows no changes: every resource reads back what it wrote.
func TestPlanAfterApplyShowsNoChanges(t *testing.T) {
	out, err := terraform("plan", "-detailed-exitcode")
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		t.Fatalf("got changes in the plan after apply, want none:\n%s", out)
	}
	if err != nil {
		t.Fatalf("terraform plan: %v\n%s", err, out)
	}
}

// Runs last: destroy leaves no API, function,
// table or namespace behind.
func TestDestroyLeavesNothing(t *testing.T) {
	if out, err := terraform("destroy", "-auto-approve"); err != nil {
		t.Fatalf("terraform destroy: %v\n%s", err, out)
	}
	ctx := context.Background()
	apis, err := apigateway.NewFromConfig(stack.aws).GetRestApis(ctx, &apigateway.GetRestApisInput{Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	for _, api := range apis.Items {
		if aws.ToString(api.Name) == stack.name {
			t.Errorf("REST API %s (%s) still exists", stack.name, aws.ToString(api.Id))
		}
	}
	lc := lambda.NewFromConfig(stack.aws)
	for _, fn := range []string{stack.name + "-authorizer", stack.name + "-aggregator"} {
		if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); err == nil {
			t.Errorf("function %s still exists", fn)
		}
	}
	if _, err := dynamodb.NewFromConfig(stack.aws).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(stack.table)}); err == nil {
		t.Errorf("table %s still exists", stack.table)
	}
	ns, err := servicediscovery.NewFromConfig(stack.aws).ListNamespaces(ctx, &servicediscovery.ListNamespacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.Namespaces {
		if aws.ToString(n.Name) == stack.namespace {
			t.Errorf("namespace %s still exists", stack.namespace)
		}
	}
}
