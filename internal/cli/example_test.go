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
	// testdata/routes.json: warning: route "orders": timeout 30s exceeds API Gateway's 29s integration timeout; behind API Gateway the request ends at 29s
	// testdata/routes.json: warning: route "order": timeout 30s exceeds API Gateway's 29s integration timeout; behind API Gateway the request ends at 29s
	// testdata/routes.json: note: gRPC routes not checked against their descriptor sets; name the sets too (payments=payments.binpb)
	// ok
}
