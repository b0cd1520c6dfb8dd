// Command grpcpay serves the demo gRPC payment service,
// payments.v1.PaymentService (package localstack/grpcpay), on 127.0.0.1
// until it is stopped:
//
//	grpcpay -port 50051
//	grpcpay -write-descriptors payments.binpb   # write the descriptor set and exit
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/portico-gw/portico/localstack/grpcpay"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "grpcpay:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. It prints the listening address first.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("grpcpay", flag.ContinueOnError)
	port := fs.Int("port", 50051, "TCP port to listen on at 127.0.0.1 (0 picks a free one)")
	bind := fs.String("bind", "127.0.0.1", "address to listen on")
	out := fs.String("write-descriptors", "", "write the service's FileDescriptorSet to this file and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out != "" {
		return os.WriteFile(*out, grpcpay.DescriptorSet(), 0o644)
	}
	if *port < 0 || *port > 65535 {
		return fmt.Errorf("-port %d is not a TCP port", *port)
	}
	svc, err := grpcpay.New(nil)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "grpcpay listening on %s\n", ln.Addr())
	return svc.Serve(ctx, ln)
}
