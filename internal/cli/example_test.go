package cli_test

import (
	"context"
	"os"

	"github.com/portico-gw/portico/internal/cli"
)

// portico check on a route table and a limits document.
func Example() {
	code := cli.Run(context.Background(), []string{"check", "-q", "testdata/routes.json", "testdata/limits.json"},
		cli.Env{Stdout: os.Stdout, Stderr: os.Stdout})
	if code == cli.ExitOK {
		os.Stdout.WriteString("ok\n")
	}
	// Output:
	// testdata/routes.json: warning: route "orders": timeout 30s does not fit behind API Gateway's 29s integration timeout; at most 27s (the function ends 1 s before API Gateway, and leaves itself 1 s around the backend call): shorten the route's timeout, or raise the API's integration timeout (Regional REST APIs may exceed 29 s once AWS raised the account's quota)
	// testdata/routes.json: warning: route "order": timeout 30s does not fit behind API Gateway's 29s integration timeout; at most 27s (the function ends 1 s before API Gateway, and leaves itself 1 s around the backend call): shorten the route's timeout, or raise the API's integration timeout (Regional REST APIs may exceed 29 s once AWS raised the account's quota)
	// testdata/routes.json: note: gRPC routes not checked against their descriptor sets; name the sets too (payments=payments.binpb)
	// ok
}
