// Command backends serves Portico's demo services on loopback ports, one port
// per service, until it is stopped:
//
//	backends -listen user-service=127.0.0.1:18081,order-service=127.0.0.1:18082
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/portico-gw/portico/localstack/backend"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "backends:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("backends", flag.ContinueOnError)
	listen := fs.String("listen", "", "comma-separated service=host:port pairs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen == "" {
		return errors.New("-listen is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var servers []*http.Server
	errc := make(chan error, 8)
	for _, pair := range strings.Split(*listen, ",") {
		name, addr, ok := strings.Cut(pair, "=")
		if !ok || !slices.Contains(backend.Services, name) {
			return fmt.Errorf("-listen %q: want service=host:port with a service among %v", pair, backend.Services)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: backend.Handler(name), ReadHeaderTimeout: 5 * time.Second}
		servers = append(servers, srv)
		fmt.Printf("%s listening on %s\n", name, ln.Addr())
		go func() { errc <- srv.Serve(ln) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	for _, s := range servers {
		s.Close()
	}
	return nil
}
