// Package awsconfig builds the aws.Config that every Portico component uses, so
// that the provider, the functions and the tests reach AWS or a local emulator the
// same way: an optional endpoint URL, an optional CA bundle, and credentials from
// the default AWS chain.
package awsconfig

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Options says where AWS is. The zero value means real AWS with the default chain.
type Options struct {
	// Region overrides the region from the environment or shared config.
	Region string
	// Endpoint is the base URL of a LocalStack-compatible emulator, for example
	// https://localhost:4566. Empty means the AWS endpoints (or AWS_ENDPOINT_URL).
	Endpoint string
	// CABundle is the path of a PEM file with extra CAs to trust, for an emulator
	// that serves HTTPS with a local CA. Empty means the system roots (or AWS_CA_BUNDLE).
	CABundle string
	// Profile names a profile of the shared config and credentials files.
	// Empty means AWS_PROFILE, else "default".
	Profile string
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("awsconfig: endpoint %q: want an absolute http or https URL", o.Endpoint)
		}
	}
	return nil
}

// Load returns an aws.Config for o.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if err := o.Validate(); err != nil {
		return aws.Config{}, err
	}
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.CABundle != "" {
		f, err := os.Open(o.CABundle)
		if err != nil {
			return aws.Config{}, fmt.Errorf("awsconfig: open CA bundle: %w", err)
		}
		defer f.Close()
		opts = append(opts, config.WithCustomCABundle(f))
	}
	if o.Endpoint != "" {
		// Emulators get HTTP/1.1: MiniStack's HTTP/2 drops streams under
		// concurrent load (the SDK then retries writes whose outcome is unknown),
		// and AWS itself gains nothing from HTTP/2 for these APIs.
		opts = append(opts, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.ForceAttemptHTTP2 = false
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		})))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("awsconfig: load: %w", err)
	}
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("awsconfig: no region: set it in the options, AWS_REGION or the shared config")
	}
	cfg.HTTPClient = plainBodies{cfg.HTTPClient}
	return cfg, nil
}

// plainBodies passes requests on with their body behind a plain
// io.ReadCloser, hiding the io.WriterTo of the SDK's body wrapper.
//
// The SDK closes a request body as soon as HTTPClient.Do returns. net/http
// writes Content-Length bytes of the body and then drains it once more from
// its write goroutine; when the answer arrives first (a service or emulator
// that replies within a millisecond), that drain meets the closed body, whose
// WriteTo answers io.EOF. The transport takes that for a failed write and
// closes the connection under the response being read: the call fails with
// "use of closed network connection" after the service has acted, and the
// SDK's retry of a CreateSecret or a conditional write then fails or
// double-counts. A plain Read on a closed body also answers io.EOF, which
// the drain (an io.Copy) takes as the clean end it is.
type plainBodies struct{ next aws.HTTPClient }

func (c plainBodies) Do(r *http.Request) (*http.Response, error) {
	if _, ok := r.Body.(io.WriterTo); ok {
		r.Body = plainBody{r.Body}
	}
	return c.next.Do(r)
}

type plainBody struct{ io.ReadCloser }

// StateTableRetryer is the retryer of the functions' DynamoDB client: the
// SDK's standard retryer (3 attempts, a client-side retry quota) with a
// backoff of 25 to 100 ms instead of up to 20 s. The state table's stores
// bound each call with a timeout of a quarter of a second: with the default
// backoff (a random share of 1, then 2 s) a retry rarely fits, and a
// throttled call costs the request the whole timeout.
func StateTableRetryer() aws.RetryerV2 {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			d := min(25*time.Millisecond<<max(attempt, 0), 100*time.Millisecond)
			return d/2 + rand.N(d/2+1), nil
		})
	})
}

// DisableHostPrefix is an API option that stops the SDK from prepending a host
// prefix (Cloud Map's DiscoverInstances uses "data-") to the endpoint. Real AWS
// needs the prefix; an emulator on localhost cannot resolve "data-localhost".
// Use it only when an endpoint URL is set:
//
//	servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
//		o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
//	})
//
// It must be an Initialize middleware: the flag is read from the context that the
// operation itself builds, so setting it on the caller's ctx has no effect.
func DisableHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("PorticoDisableHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

// UsesCustomEndpoint reports whether cfg points at an endpoint other than AWS's,
// either through Options.Endpoint or AWS_ENDPOINT_URL.
func UsesCustomEndpoint(cfg aws.Config) bool {
	return cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != ""
}
