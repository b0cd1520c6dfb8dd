// Command portico speaks the configuration of a Portico gateway: it checks
// documents offline with the functions' own parsers, explains how a route
// table serves a request, writes an OpenAPI 3.1 document of the public API,
// and reads usage counters and API keys from a deployed state table (see
// package internal/cli and docs/cli.md).
package main

import (
	"context"
	"os"

	"github.com/portico-gw/portico/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
