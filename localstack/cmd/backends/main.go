// Command backends serves Portico's demo services on loopback ports, one port
// per instance, until it is stopped:
//
//	backends -listen user-service=127.0.0.1:18081,user-service@v2=127.0.0.1:18088,order-service=127.0.0.1:18082 \
//	  -mtls-secrets portico/mesh/ -endpoint https://localhost:4566 -ca-cert .portico/tls/ca.pem \
//	  -xray-daemon 127.0.0.1:2000
//
// service@version names an instance of another version than v1 (the
// answer's "version"). With -mtls-secrets, every service is served over mutual
// TLS with the certificate in the Secrets Manager secret <prefix><service>,
// loaded on the first handshake (terraform apply creates it after the
// services start), and only the gateway may call. With -xray-daemon, each
// service records a segment per request, a child of the caller's call.
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

	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
	"github.com/portico-gw/portico/pkg/trace"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "backends:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("backends", flag.ContinueOnError)
	listen := fs.String("listen", "", "comma-separated service[@version]=host:port pairs")
	secrets := fs.String("mtls-secrets", "", "serve mutual TLS with the certificate in the secret <prefix><service>")
	endpoint := fs.String("endpoint", "", "AWS endpoint (the emulator) for Secrets Manager")
	caCert := fs.String("ca-cert", "", "CA bundle of the emulator's certificate")
	daemon := fs.String("xray-daemon", "", "address of the X-Ray daemon to send segments to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen == "" {
		return errors.New("-listen is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var sm *awssm.Client
	if *secrets != "" {
		cfg, err := awsconfig.Load(ctx, awsconfig.Options{Endpoint: *endpoint, CABundle: *caCert})
		if err != nil {
			return err
		}
		sm = awssm.NewFromConfig(cfg)
	}
	var sender trace.Sender
	if *daemon != "" {
		udp, err := trace.DialUDP(*daemon)
		if err != nil {
			return err
		}
		sender = udp
	}
	var servers []*http.Server
	errc := make(chan error, 16)
	for _, pair := range strings.Split(*listen, ",") {
		name, addr, ok := strings.Cut(pair, "=")
		service, version, _ := strings.Cut(name, "@")
		if version == "" {
			version = "v1"
		}
		if !ok || !slices.Contains(backend.Services, service) {
			return fmt.Errorf("-listen %q: want service[@version]=host:port with a service among %v", pair, backend.Services)
		}
		var h http.Handler = backend.Versioned(service, version)
		if sender != nil {
			tr, err := trace.New(trace.Config{Service: service, Sender: sender})
			if err != nil {
				return err
			}
			h = tr.Middleware(h)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		scheme := "http"
		if sm != nil {
			secret := *secrets + service
			lazy := &backend.LazyTLS{Allow: []string{"gateway"}, Load: func(ctx context.Context) (*mtls.Credentials, error) {
				src, err := secretsmanager.New(sm, secret)
				if err != nil {
					return nil, err
				}
				return mtls.New(ctx, mtls.Config{Source: src})
			}}
			srv.TLSConfig, scheme = lazy.Config(), "https (mutual TLS, "+secret+")"
		}
		servers = append(servers, srv)
		fmt.Printf("%s %s listening on %s, %s\n", service, version, ln.Addr(), scheme)
		go func() {
			if srv.TLSConfig != nil {
				errc <- srv.ServeTLS(ln, "", "")
				return
			}
			errc <- srv.Serve(ln)
		}()
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
