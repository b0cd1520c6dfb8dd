// Command portico-mesh is Portico's mesh for code in any language: a proxy
// on a loopback port that sends http://localhost:9911/<service>/<path> (or,
// with HTTP_PROXY, http://<service>/<path>) to an instance of the service
// chosen by the mesh, with its policy, over mutual TLS, traced. It runs as a
// Lambda extension (from a layer, as /opt/extensions/portico-mesh) or as a
// sidecar process or container; optionally it also terminates mutual TLS in
// front of a local service. Configuration comes from PORTICO_MESH_*
// environment variables: see package internal/meshproxy and docs/mesh.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/portico-gw/portico/internal/meshproxy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := meshproxy.Run(ctx, os.Args, os.LookupEnv, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
