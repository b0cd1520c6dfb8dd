// Command aggregator is Portico's request path behind API Gateway: package
// internal/aggregator wires it from the environment (see aggregator.Env) and
// package internal/gateway serves each request.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/portico-gw/portico/internal/aggregator"
)

func main() {
	if err := aggregator.Run(context.Background(), os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cold start:", err)
		os.Exit(1)
	}
}
