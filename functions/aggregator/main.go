// Command aggregator is Portico's request path behind API Gateway (see package
// internal/gateway). Configuration comes from the environment:
//
//	PORTICO_NAMESPACE                Cloud Map HTTP namespace of the services (required)
//	PORTICO_TABLE                    DynamoDB table for rate-limit counters (optional;
//	                                 without it no limit is applied)
//	PORTICO_LIMIT_PER_IP_PER_MINUTE  requests per client IP per minute (default 100)
//	PORTICO_PERMISSIONS              per-route role and scope requirements (JSON array,
//	                                 see gateway.Permission; optional)
//
// AWS_ENDPOINT_URL and AWS_CA_BUNDLE, read by the AWS SDK, point it at an emulator.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/logging"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
	"github.com/portico-gw/portico/pkg/ratelimit"
	"github.com/portico-gw/portico/pkg/ratelimit/dynamo"
)

func main() {
	log := logging.New(os.Stdout, slog.LevelInfo).With("function", "aggregator")
	h, err := build(context.Background(), log)
	if err != nil {
		log.Error("cold start", "err", err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// build wires the handler once per cold start.
func build(ctx context.Context, log *slog.Logger) (*gateway.Handler, error) {
	namespace := os.Getenv("PORTICO_NAMESPACE")
	if namespace == "" {
		return nil, fmt.Errorf("PORTICO_NAMESPACE is required")
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{})
	if err != nil {
		return nil, err
	}
	sd := servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
		if awsconfig.UsesCustomEndpoint(cfg) {
			o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
		}
	})
	disc, err := cloudmap.New(sd, namespace)
	if err != nil {
		return nil, err
	}
	client, err := mesh.New(mesh.Config{
		Discoverer: disc,
		Logger:     log,
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   100,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		},
	})
	if err != nil {
		return nil, err
	}
	gcfg := gateway.Config{Client: client.HTTPClient(), Logger: log}
	if doc := os.Getenv("PORTICO_PERMISSIONS"); doc != "" {
		if gcfg.Permissions, err = gateway.ParsePermissions([]byte(doc)); err != nil {
			return nil, err
		}
	}
	if table := os.Getenv("PORTICO_TABLE"); table != "" {
		perMinute := int64(100)
		if v := os.Getenv("PORTICO_LIMIT_PER_IP_PER_MINUTE"); v != "" {
			perMinute, err = strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("PORTICO_LIMIT_PER_IP_PER_MINUTE %q: %w", v, err)
			}
		}
		store, err := dynamo.New(dynamodb.NewFromConfig(cfg), table)
		if err != nil {
			return nil, err
		}
		lim, err := ratelimit.New(ratelimit.Config{Name: "ip", Requests: perMinute, Window: time.Minute, Store: store})
		if err != nil {
			return nil, err
		}
		gcfg.Limiter = lim
	}
	return gateway.New(gcfg)
}
