// Command aggregator is Portico's request path behind API Gateway (see package
// internal/gateway). Configuration comes from the environment:
//
//	PORTICO_NAMESPACE                Cloud Map HTTP namespace of the services (required)
//	PORTICO_TABLE                    DynamoDB state table: rate-limit counters, API keys,
//	                                 cached responses and, by default, the route table item
//	PORTICO_ROUTES_TABLE             table of the route table item (default PORTICO_TABLE;
//	                                 one of the two is required)
//	PORTICO_ROUTES_KEY               partition key of the route table item
//	                                 (default "config#routes")
//	PORTICO_ROUTES_REFRESH           how often a warm instance re-reads the route table and
//	                                 the limits document, a Go duration (default 30s); an
//	                                 invalid document is never used
//	PORTICO_LIMIT_PER_IP_PER_MINUTE  requests per client IP per minute when the state
//	                                 table has no limits document (item "config#limits",
//	                                 written by portico_limits; default 100)
//	PORTICO_PERMISSIONS              per-route role and scope requirements (JSON array,
//	                                 see gateway.Permission; optional)
//
// The gRPC routes' descriptor sets are items {pk: "config#descriptors#<name>",
// descriptors: B} of the route table's table, written by
// portico_grpc_descriptors and read whenever a new route table loads.
//
// Logs (one JSON access line per request) and CloudWatch embedded-metric-format
// lines go to stdout. AWS_ENDPOINT_URL and AWS_CA_BUNDLE, read by the AWS SDK,
// point it at an emulator.
package main

import (
	"context"
	"errors"
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
	"github.com/portico-gw/portico/internal/route"
	routedynamo "github.com/portico-gw/portico/internal/route/dynamo"
	"github.com/portico-gw/portico/internal/apikey"
	apikeydynamo "github.com/portico-gw/portico/internal/apikey/dynamo"
	"github.com/portico-gw/portico/internal/cache"
	cachedynamo "github.com/portico-gw/portico/internal/cache/dynamo"
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
	table := os.Getenv("PORTICO_TABLE")
	routesTable := os.Getenv("PORTICO_ROUTES_TABLE")
	if routesTable == "" {
		routesTable = table
	}
	if routesTable == "" {
		return nil, fmt.Errorf("PORTICO_ROUTES_TABLE or PORTICO_TABLE is required (the route table item)")
	}
	refresh := 30 * time.Second
	if v := os.Getenv("PORTICO_ROUTES_REFRESH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("PORTICO_ROUTES_REFRESH %q: want a positive duration such as 30s", v)
		}
		refresh = d
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{})
	if err != nil {
		return nil, err
	}
	ddb := dynamodb.NewFromConfig(cfg)
	sd := servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
		if awsconfig.UsesCustomEndpoint(cfg) {
			o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
		}
	})
	disc, err := cloudmap.New(sd, namespace)
	if err != nil {
		return nil, err
	}
	// The mesh's per-try timeouts follow the route table's timeouts.
	policies := gateway.NewTimeoutPolicies(nil, mesh.Policy{}, nil)
	client, err := mesh.New(mesh.Config{
		Discoverer:   disc,
		Logger:       log,
		PolicySource: policies,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 100,
			IdleConnTimeout:     90 * time.Second,
		},
	})
	if err != nil {
		return nil, err
	}
	src, err := routedynamo.New(ddb, routesTable, os.Getenv("PORTICO_ROUTES_KEY"))
	if err != nil {
		return nil, err
	}
	// gRPC routes: their descriptor sets (portico_grpc_descriptors) are read
	// from the routes' table whenever a new route table loads; a table whose
	// sets are missing or do not fit is refused, keeping the last good one.
	descriptors, err := routedynamo.NewDescriptors(ddb, routesTable)
	if err != nil {
		return nil, err
	}
	grpcBackends, err := gateway.NewGRPCBackends(gateway.GRPCConfig{
		Descriptors: descriptors,
		Caller:      client, // gRPC calls get the mesh's balancing, ejection and retries too
		Logger:      log,
	})
	if err != nil {
		return nil, err
	}
	routes, err := route.NewStore(route.StoreConfig{Source: src, Refresh: refresh, Logger: log, OnChange: policies.Use, Prepare: grpcBackends.Prepare})
	if err != nil {
		return nil, err
	}
	if err := routes.Load(ctx); err != nil {
		// Not fatal: the store retries, and serves 503 until a table loads.
		log.Error("cold start: no route table yet", "err", err)
	}
	gcfg := gateway.Config{Routes: routes, Transport: client, GRPC: grpcBackends, Logger: log, Metrics: os.Stdout}
	if doc := os.Getenv("PORTICO_PERMISSIONS"); doc != "" {
		if gcfg.Permissions, err = gateway.ParsePermissions([]byte(doc)); err != nil {
			return nil, err
		}
	}
	if table != "" {
		if gcfg.Limits, err = limits(ctx, ddb, table, refresh, log); err != nil {
			return nil, err
		}
		keyStore, err := apikeydynamo.New(ddb, table)
		if err != nil {
			return nil, err
		}
		if gcfg.APIKeys, err = apikey.New(apikey.Config{Store: keyStore}); err != nil {
			return nil, err
		}
		cacheStore, err := cachedynamo.New(ddb, table, nil)
		if err != nil {
			return nil, err
		}
		// A short in-memory tier per warm instance in front of DynamoDB.
		if gcfg.Cache, err = cache.New(cache.Config{Store: cacheStore, LocalTTL: 5 * time.Second, Logger: log}); err != nil {
			return nil, err
		}
	}
	return gateway.New(gcfg)
}

// limits builds the rate limits from the state table's limits document
// (portico_limits), read again every refresh in a warm instance, or, while
// there is none, one fail-open per-IP limit of
// PORTICO_LIMIT_PER_IP_PER_MINUTE.
func limits(ctx context.Context, ddb *dynamodb.Client, table string, refresh time.Duration, log *slog.Logger) (*ratelimit.Live, error) {
	store, err := dynamo.New(ddb, table)
	if err != nil {
		return nil, err
	}
	src, err := routedynamo.New(ddb, table, ratelimit.DocumentKey)
	if err != nil {
		return nil, err
	}
	perMinute := int64(100)
	if v := os.Getenv("PORTICO_LIMIT_PER_IP_PER_MINUTE"); v != "" {
		if perMinute, err = strconv.ParseInt(v, 10, 64); err != nil || perMinute <= 0 {
			return nil, fmt.Errorf("PORTICO_LIMIT_PER_IP_PER_MINUTE %q: want a positive whole number", v)
		}
	}
	return ratelimit.NewLive(ctx, ratelimit.LiveConfig{
		Load: func(ctx context.Context) ([]byte, bool, error) {
			doc, err := src.Load(ctx)
			if errors.Is(err, route.ErrNotFound) {
				return nil, false, nil
			}
			return doc, err == nil, err
		},
		Store:   store,
		Default: []ratelimit.Rule{{Dimension: ratelimit.IP, Limit: ratelimit.Config{Name: "ip", Requests: perMinute, Window: time.Minute, FailMode: ratelimit.FailOpen}}},
		Refresh: refresh,
		Logger:  log,
	})
}
