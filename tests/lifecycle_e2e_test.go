//go:build e2e

package tests

import (
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
)

// The stack's lifecycle checks end the stack, so TestMain runs them after
// every test, in this order: after apply (and every test's changes undone), a
// plan shows no changes, every resource reading back what it wrote; then
// destroy leaves no API, function, table or namespace behind.
func checkLifecycle() error {
	out, err := terraform("plan", "-detailed-exitcode")
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 2:
		return fmt.Errorf("plan after apply: got changes, want none:\n%s", out)
	case err != nil:
		return fmt.Errorf("terraform plan: %v\n%s", err, out)
	}
	fmt.Println("lifecycle: the plan after apply shows no changes")
	if out, err := terraform("destroy", "-auto-approve"); err != nil {
		return fmt.Errorf("terraform destroy: %v\n%s", err, out)
	}
	ctx := context.Background()
	var left []error
	apis, err := apigateway.NewFromConfig(stack.aws).GetRestApis(ctx, &apigateway.GetRestApisInput{Limit: aws.Int32(500)})
	if err != nil {
		return err
	}
	for _, api := range apis.Items {
		if aws.ToString(api.Name) == stack.name {
			left = append(left, fmt.Errorf("REST API %s (%s) still exists", stack.name, aws.ToString(api.Id)))
		}
	}
	lc := lambda.NewFromConfig(stack.aws)
	for _, fn := range []string{stack.name + "-authorizer", stack.name + "-aggregator"} {
		if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); err == nil {
			left = append(left, fmt.Errorf("function %s still exists", fn))
		}
	}
	if _, err := dynamodb.NewFromConfig(stack.aws).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(stack.table)}); err == nil {
		left = append(left, fmt.Errorf("table %s still exists", stack.table))
	}
	ns, err := servicediscovery.NewFromConfig(stack.aws).ListNamespaces(ctx, &servicediscovery.ListNamespacesInput{})
	if err != nil {
		return err
	}
	for _, n := range ns.Namespaces {
		if aws.ToString(n.Name) == stack.namespace {
			left = append(left, fmt.Errorf("namespace %s still exists", stack.namespace))
		}
	}
	if err := errors.Join(left...); err != nil {
		return fmt.Errorf("destroy left things behind: %w", err)
	}
	fmt.Println("lifecycle: destroy left nothing behind")
	return nil
}
