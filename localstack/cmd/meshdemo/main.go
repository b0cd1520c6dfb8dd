// Command meshdemo runs the mesh demo against Cloud Map (an emulator's, by
// default): order → payment (v1, v2) → fraud → bank over mutual TLS through
// the mesh client, then prints the canary split, the tester route, an
// ejection, and one order's trace as a text waterfall.
//
//	meshdemo -endpoint https://localhost:4566 -ca-cert .portico/tls/ca.pem
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/localstack/meshdemo"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "meshdemo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) (err error) {
	fs := flag.NewFlagSet("meshdemo", flag.ContinueOnError)
	endpoint := fs.String("endpoint", os.Getenv("PORTICO_ENDPOINT"), "Cloud Map endpoint (empty: AWS)")
	caCert := fs.String("ca-cert", os.Getenv("PORTICO_CA_CERT"), "CA bundle of the endpoint")
	orders := fs.Int("orders", 400, "orders for the canary split")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Endpoint: *endpoint, CABundle: *caCert})
	if err != nil {
		return err
	}
	col, err := tracetest.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer col.Close()
	d, err := meshdemo.Start(ctx, meshdemo.Config{
		AWS: cfg, Namespace: fmt.Sprintf("portico-meshdemo-%d.local", time.Now().UnixNano()), DaemonAddress: col.Addr(), Seed: 1,
		Work: map[string]time.Duration{"order": 4 * time.Millisecond, "payment": 3 * time.Millisecond, "fraud": 2 * time.Millisecond, "bank": 20 * time.Millisecond},
	})
	defer func() {
		if cerr := d.Close(context.WithoutCancel(ctx)); err == nil && cerr != nil {
			err = fmt.Errorf("clean up: %w", cerr)
		}
	}()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "mesh demo: order → payment (v1 ×2, v2) → fraud → bank over mutual TLS, discovered in Cloud Map")
	versions := map[string]int{}
	for range *orders {
		rc, err := d.Order(ctx, false)
		if err != nil {
			return err
		}
		versions[rc.Version]++
	}
	pol, origin := d.Client("order").Policy("payment")
	fmt.Fprintf(out, "canary:  %d orders → payment v1 %d, v2 %d (weights %d/%d from the %s)\n",
		*orders, versions["v1"], versions["v2"], pol.Versions[0].Weight, pol.Versions[1].Weight, origin)
	tester := map[string]int{}
	for range 5 {
		rc, err := d.Order(ctx, true)
		if err != nil {
			return err
		}
		tester[rc.Version]++
	}
	fmt.Fprintf(out, "route:   5 orders with X-Test-User: true → payment v2 %d\n", tester["v2"])
	if err := d.SetFailing("payment-v1-b", true); err != nil {
		return err
	}
	failed := 0
	for range 40 {
		if _, err := d.Order(ctx, false); err != nil {
			failed++
		}
	}
	for _, row := range d.Client("order").Snapshot().Rows {
		if row.Instance == "payment-v1-b" {
			fmt.Fprintf(out, "eject:   payment-v1-b answers 500: 40 orders, %d failed (retried elsewhere); it got %d 5xx and was ejected %d time(s)\n",
				failed, row.Status5xx, row.Ejections)
		}
	}
	rc, err := d.Order(ctx, false)
	if err != nil {
		return err
	}
	segs, err := col.Wait(ctx, rc.TraceID, 9)
	if err != nil {
		return err
	}
	hops, err := meshdemo.Hops(segs)
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	meshdemo.Waterfall(out, rc.TraceID, hops)
	return nil
}
