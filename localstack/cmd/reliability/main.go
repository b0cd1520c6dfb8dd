// Command reliability drives load through the local stack while it injects
// faults, and writes RELIABILITY.md (make reliability runs it):
//
//	reliability -out RELIABILITY.md -simulation .portico/reliability/simulation.md [-soak 30m] [-rows dynamodb-down,...]
//
// It reads the emulator and the tools from the environment, as the
// end-to-end tests do (PORTICO_ENDPOINT, PORTICO_CA_CERT, PORTICO_TERRAFORM,
// PORTICO_AUTHORIZER_ZIP, PORTICO_AGGREGATOR_ZIP, PORTICO_LAMBDA_ARCH,
// PORTICO_BACKEND_BIND, PORTICO_BACKEND_HOST, TF_CLI_CONFIG_FILE).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/portico-gw/portico/localstack/reliability"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := reliability.Main(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
}
