// Command dashtrace calls one URL of the local stack in a new X-Ray trace and
// prints the trace's waterfall: the gateway's segment, each backend call and
// each service's own segment. It listens as the X-Ray daemon on -daemon,
// where the aggregator (AWS_XRAY_DAEMON_ADDRESS) and the demo services
// (backends -xray-daemon) send their segments.
//
//	dashtrace -url https://.../user-dashboard -token $TOKEN -ca-cert .portico/tls/ca.pem
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/portico-gw/portico/localstack/waterfall"
	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/trace/tracetest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dashtrace:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("dashtrace", flag.ContinueOnError)
	url := fs.String("url", "", "the URL to call (required)")
	token := fs.String("token", "", "the bearer token")
	caCert := fs.String("ca-cert", "", "CA bundle of the stack's certificate")
	daemon := fs.String("daemon", "127.0.0.1:2000", "address to receive segments on")
	want := fs.Int("segments", 7, "segments to wait for: the gateway, and a call and a segment per service")
	wait := fs.Duration("wait", 5*time.Second, "how long to wait for them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		return errors.New("-url is required")
	}
	col, err := tracetest.Listen(*daemon)
	if err != nil {
		return fmt.Errorf("listen as the X-Ray daemon on %s: %w", *daemon, err)
	}
	defer col.Close()
	client := &http.Client{Timeout: 30 * time.Second}
	if *caCert != "" {
		pem, err := os.ReadFile(*caCert)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	root := trace.NewTraceID(time.Now())
	req, err := http.NewRequest(http.MethodGet, *url, nil)
	if err != nil {
		return err
	}
	req.Header.Set(trace.HeaderName, trace.Header{Root: root, Sampled: trace.Sampled}.String())
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Fprintf(out, "GET %s: %d\n", *url, resp.StatusCode)
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	segs, err := col.Wait(ctx, root, *want)
	if err != nil {
		all, _ := col.Segments()
		segs = nil
		for _, s := range all {
			if s.TraceID == root {
				segs = append(segs, s)
			}
		}
		fmt.Fprintf(out, "(%d of %d segments arrived within %s)\n", len(segs), *want, *wait)
	}
	waterfall.Print(out, root, waterfall.Rows(segs))
	return nil
}
