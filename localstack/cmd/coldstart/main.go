// Command coldstart measures the authorizer's cold start under the AWS Lambda
// Runtime Interface Emulator (aws-lambda-rie, installed by `make
// bench-coldstart`): for each run it starts a fresh RIE with the given
// bootstrap, then posts a REQUEST authorizer event carrying a valid token until
// an answer arrives, and reports the time from process start to that answer.
//
//	coldstart -rie .tools/bin/aws-lambda-rie -bootstrap .portico/build/local/authorizer/bootstrap -runs 20
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/portico-gw/portico/localstack/devtoken"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	rie := fs.String("rie", "", "path of aws-lambda-rie")
	bootstrap := fs.String("bootstrap", "", "path of the authorizer bootstrap")
	runs := fs.Int("runs", 20, "number of cold starts")
	addr := fs.String("addr", "127.0.0.1:18950", "loopback address for the emulator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rie == "" || *bootstrap == "" {
		return errors.New("-rie and -bootstrap are required")
	}
	priv, pub, err := devtoken.GenerateKey()
	if err != nil {
		return err
	}
	tok, err := devtoken.Mint(priv, devtoken.Claims{Subject: "user-1", Roles: []string{"reader"}, Issuer: "https://coldstart", Audience: "portico", KeyID: "k1", TTL: time.Hour})
	if err != nil {
		return err
	}
	settings, _ := json.Marshal(map[string]any{"issuers": []any{map[string]any{
		"issuer": "https://coldstart", "audiences": []string{"portico"}, "publicKeys": map[string]string{"k1": string(pub)},
	}}})
	event, _ := json.Marshal(map[string]any{
		"type": "REQUEST", "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1/GET/api",
		"headers": map[string]string{"Authorization": "Bearer " + tok},
	})
	url := "http://" + *addr + "/2015-03-31/functions/function/invocations"
	client := &http.Client{Timeout: 2 * time.Second}
	var times []time.Duration
	for i := range *runs {
		d, err := once(*rie, *bootstrap, *addr, url, string(settings), event, client)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		times = append(times, d)
	}
	slices.Sort(times)
	fmt.Printf("cold start to first answered invoke, %d runs: min %s, median %s, p90 %s, max %s\n",
		len(times), times[0].Round(100*time.Microsecond), times[len(times)/2].Round(100*time.Microsecond),
		times[len(times)*9/10].Round(100*time.Microsecond), times[len(times)-1].Round(100*time.Microsecond))
	return nil
}

// once starts the emulator and returns the time until the first Allow answer.
func once(rie, bootstrap, addr, url, settings string, event []byte, client *http.Client) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, rie, "--runtime-interface-emulator-address", addr, "--log-level", "error", bootstrap)
	cmd.Env = append(os.Environ(), "PORTICO_AUTH_CONFIG="+settings, "AWS_LAMBDA_FUNCTION_TIMEOUT=10")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for ctx.Err() == nil {
		resp, err := client.Post(url, "application/json", bytes.NewReader(event))
		if err != nil {
			time.Sleep(time.Millisecond)
			continue
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		elapsed := time.Since(start)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body.String(), `"Allow"`) {
			return 0, fmt.Errorf("got %d %s, want an Allow policy", resp.StatusCode, body.String())
		}
		return elapsed, nil
	}
	return 0, errors.New("no answer within 20 s")
}
