// Command grpcpay serves the demo gRPC payment service,
// payments.v1.PaymentService (see proto/payments/v1/payments.proto), on
// 127.0.0.1 until it is stopped. It is built on dynamic messages over the
// embedded descriptor set, with no generated code:
//
//	grpcpay -port 50051
//	grpcpay -write-descriptors payments.binpb   # write the descriptor set and exit
//
// Charge takes a delay field to provoke DEADLINE_EXCEEDED; GetPayment
// answers NOT_FOUND for unknown ids; ListPayments streams.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"google.golang.org/grpc"
)

// descriptorSet is proto/payments/v1/payments.proto compiled with its
// imports; TestDescriptorSetUpToDate keeps it so.
//
//go:embed payments.binpb
var descriptorSet []byte

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
	out := fs.String("write-descriptors", "", "write the service's FileDescriptorSet to this file and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out != "" {
		return os.WriteFile(*out, descriptorSet, 0o644)
	}
	if *port < 0 || *port > 65535 {
		return fmt.Errorf("-port %d is not a TCP port", *port)
	}
	svc, err := newPayments(descriptorSet)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	srv := grpc.NewServer()
	srv.RegisterService(svc.serviceDesc(), nil)
	fmt.Fprintf(stdout, "grpcpay listening on %s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		srv.GracefulStop()
		return nil
	case err := <-errc:
		if errors.Is(err, grpc.ErrServerStopped) {
			return nil
		}
		return err
	}
}
