// Package aggregator wires Portico's request path for the aggregator Lambda
// function: from its environment (Env) it builds the AWS clients, the live
// configuration (package config), the mesh client (Cloud Map discovery, the
// configuration's service policies, mutual TLS with the gateway's own
// certificate, X-Ray tracing), the API keys, the response cache and the
// gateway.Handler. functions/aggregator's main only calls Run.
package aggregator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/portico-gw/portico/internal/apikey"
	apikeydynamo "github.com/portico-gw/portico/internal/apikey/dynamo"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/internal/breaker"
	breakerdynamo "github.com/portico-gw/portico/internal/breaker/dynamo"
	"github.com/portico-gw/portico/internal/cache"
	cachedynamo "github.com/portico-gw/portico/internal/cache/dynamo"
	"github.com/portico-gw/portico/internal/config"
	configdynamo "github.com/portico-gw/portico/internal/config/dynamo"
	"github.com/portico-gw/portico/internal/config/live"
	"github.com/portico-gw/portico/internal/cors"
	"github.com/portico-gw/portico/internal/gateway"
	"github.com/portico-gw/portico/internal/logging"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
	meshdynamo "github.com/portico-gw/portico/pkg/mesh/dynamo"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
	"github.com/portico-gw/portico/pkg/ratelimit"
	ratelimitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
	"github.com/portico-gw/portico/pkg/trace"
	"github.com/portico-gw/portico/pkg/transcode"
)

// Env is the aggregator's configuration, from its environment:
//
//	PORTICO_NAMESPACE                Cloud Map HTTP namespace of the services (required)
//	PORTICO_TABLE                    the state table: configuration, API keys, counters,
//	                                 cached responses (required)
//	PORTICO_CONFIG_REFRESH           how often a warm instance reads the configuration's
//	                                 revision, a Go duration (default 30s)
//	PORTICO_LIMIT_PER_IP_PER_MINUTE  requests per client IP per minute while the table
//	                                 holds no limits document (default 100)
//	PORTICO_STORE_TIMEOUT            bounds each state-table call of a request (limits,
//	                                 API keys, cache), after which the store's fail mode
//	                                 applies (default 250ms; a slow emulator needs more)
//	PORTICO_USAGE_FLUSH              how long usage counts wait in memory before they are
//	                                 written, a Go duration (default 10s; see package usage)
//	PORTICO_MESH_SECRET              Secrets Manager secret of the gateway's mesh
//	                                 certificate (portico_mesh_certificate): mutual TLS
//	                                 to the services whose policy requires it (optional)
//	PORTICO_MESH_TRUST_DOMAIN        the mesh's trust domain (default portico)
//	PORTICO_RUNTIME_METRICS          how often an instance writes its runtime metrics line
//	                                 (goroutines, heap, resident memory; namespace
//	                                 Portico/Runtime), a Go duration (default 1m)
//	PORTICO_CORS                     the CORS policy (package cors, JSON), the same as
//	                                 portico_api's cors block: preflights are answered
//	                                 from it and answers carry its headers (optional)
//	AWS_XRAY_DAEMON_ADDRESS          where X-Ray segments go (Lambda sets it); tracing
//	                                 is on when it is set
//	PORTICO_TRACING                  xray (the default when AWS_XRAY_DAEMON_ADDRESS is set),
//	                                 otlp (OpenTelemetry, tracing.go), xray,otlp, or off
//	OTEL_EXPORTER_OTLP_ENDPOINT,     with otlp: the collector (default http://localhost:4318,
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, the ADOT Lambda layer's), and OTEL_SERVICE_NAME
//	OTEL_SERVICE_NAME
//	AWS_LAMBDA_FUNCTION_NAME         names the gateway's own segment
//
// AWS_ENDPOINT_URL and AWS_CA_BUNDLE, read by the AWS SDK, point it at an
// emulator.
type Env struct {
	Namespace           string
	Table               string
	Refresh             time.Duration
	LimitPerIPPerMinute int64
	StoreTimeout        time.Duration
	UsageFlush          time.Duration
	MeshSecret          string
	TrustDomain         string
	RuntimeMetrics      time.Duration
	TraceDaemon         string
	Tracing             Tracing
	Name                string
	CORS                *cors.Policy
}

// ParseEnv reads an Env with getenv (os.Getenv in main).
func ParseEnv(getenv func(string) string) (Env, error) {
	e := Env{
		Namespace: getenv("PORTICO_NAMESPACE"), Table: getenv("PORTICO_TABLE"),
		Refresh: 30 * time.Second, LimitPerIPPerMinute: 100, RuntimeMetrics: time.Minute,
		MeshSecret: getenv("PORTICO_MESH_SECRET"), TrustDomain: getenv("PORTICO_MESH_TRUST_DOMAIN"),
		TraceDaemon: getenv("AWS_XRAY_DAEMON_ADDRESS"), Name: getenv("AWS_LAMBDA_FUNCTION_NAME"),
	}
	var errs []error
	if e.Namespace == "" {
		errs = append(errs, errors.New("PORTICO_NAMESPACE is required: the Cloud Map namespace of the services"))
	}
	if e.Table == "" {
		errs = append(errs, errors.New("PORTICO_TABLE is required: the state table"))
	}
	if v := getenv("PORTICO_CONFIG_REFRESH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("PORTICO_CONFIG_REFRESH %q: want a positive duration such as 30s", v))
		}
		e.Refresh = d
	}
	if v := getenv("PORTICO_STORE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("PORTICO_STORE_TIMEOUT %q: want a positive duration such as 250ms", v))
		}
		e.StoreTimeout = d
	}
	if v := getenv("PORTICO_RUNTIME_METRICS"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("PORTICO_RUNTIME_METRICS %q: want a positive duration such as 1m", v))
		}
		e.RuntimeMetrics = d
	}
	if v := getenv("PORTICO_USAGE_FLUSH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("PORTICO_USAGE_FLUSH %q: want a positive duration such as 10s", v))
		}
		e.UsageFlush = d
	}
	if v := getenv("PORTICO_LIMIT_PER_IP_PER_MINUTE"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("PORTICO_LIMIT_PER_IP_PER_MINUTE %q: want a positive whole number", v))
		}
		e.LimitPerIPPerMinute = n
	}
	if err := e.Tracing.parse(getenv, e.TraceDaemon); err != nil {
		errs = append(errs, err)
	}
	if v := getenv("PORTICO_CORS"); v != "" {
		p, err := cors.Parse([]byte(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("PORTICO_CORS: %w", err))
		}
		e.CORS = p
	}
	if e.TraceDaemon != "" {
		if _, err := trace.DaemonAddress(e.TraceDaemon); err != nil {
			errs = append(errs, fmt.Errorf("AWS_XRAY_DAEMON_ADDRESS: %w", err))
		}
	}
	if e.Name == "" {
		e.Name = "portico-gateway"
	}
	return e, errors.Join(errs...)
}

// Run reads the environment, builds the handler and serves Lambda
// invocations; it returns only when the cold start fails.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	log := logging.New(stdout, slog.LevelInfo).With("function", "aggregator")
	env, err := ParseEnv(getenv)
	if err != nil {
		return fmt.Errorf("aggregator: %w", err)
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{})
	if err != nil {
		return err
	}
	h, err := Build(ctx, env, cfg, log, stdout)
	if err != nil {
		return err
	}
	rt := newRuntimeMetrics(stdout, env.Name, env.RuntimeMetrics)
	lambda.StartWithOptions(func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		resp, err := h.Handle(ctx, req)
		rt.sample()
		return resp, err
	}, lambda.WithContext(ctx))
	return nil
}

// Build wires the handler once per cold start. It reads the configuration
// once; when that fails the handler answers 503 and retries, at most once a
// second, until one loads. stdout receives the EMF metric lines and the
// access lines (written as log's would be, with "function": "aggregator");
// log everything else.
func Build(ctx context.Context, env Env, cfg aws.Config, log *slog.Logger, stdout io.Writer) (*gateway.Handler, error) {
	// Every store of the state table shares one breaker: once the table has
	// stopped answering, each store applies its fail mode at once instead of
	// every request waiting out each store's timeout in turn.
	ddb := breakerdynamo.New(dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Retryer = awsconfig.StateTableRetryer() }),
		breaker.New(breaker.Config{}))
	sd := servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
		if awsconfig.UsesCustomEndpoint(cfg) {
			o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
		}
	})
	registry, err := cloudmap.New(sd, env.Namespace, cloudmap.WithLogger(log))
	if err != nil {
		return nil, err
	}
	// The instances share what Cloud Map answers through the state table, so
	// that a fleet starting or refreshing together asks it about once per
	// service and MaxAge instead of once per instance (Cloud Map throttles
	// discovery at 1,000 calls a second per account): RELIABILITY.md.
	storeTimeout := env.StoreTimeout
	if storeTimeout == 0 {
		storeTimeout = ratelimit.DefaultStoreTimeout
	}
	disc, err := meshdynamo.NewDiscovery(ddb, env.Table, meshdynamo.DiscoveryConfig{Next: registry, Timeout: storeTimeout, Logger: log})
	if err != nil {
		return nil, err
	}
	src, err := configdynamo.New(ddb, env.Table)
	if err != nil {
		return nil, err
	}
	counters, err := ratelimitdynamo.New(ddb, env.Table)
	if err != nil {
		return nil, err
	}

	// The mesh client: its policies come from the configuration snapshot in
	// use (read from memory), so the hot path makes no Cloud Map call for
	// them; the configuration's transcoders call through it.
	policies := config.Policies{}
	meshCfg := mesh.Config{
		Discoverer:     disc,
		RefreshJitter:  0.2,
		Logger:         log,
		PolicySource:   &policies,
		PolicyInterval: env.Refresh,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 100,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	if env.MeshSecret != "" {
		cctx, cancel := context.WithTimeout(ctx, loadTimeout)
		creds, err := credentials(cctx, env, cfg, log)
		cancel()
		switch {
		case err == nil:
			meshCfg.TLS = creds
		case errors.Is(err, mtls.ErrMaterial):
			return nil, err // a certificate that is wrong is a deployment to fix
		default:
			// Secrets Manager did not answer: serve, and read it later.
			log.Error("cold start: cannot read the gateway's mesh certificate; services that require mutual TLS fail until it can be read", "err", err)
			meshCfg.TLS = &lateCredentials{load: func(ctx context.Context) (*mtls.Credentials, error) { return credentials(ctx, env, cfg, log) },
				log: log, every: 5 * time.Second, now: time.Now}
		}
		meshCfg.TLSRequiredOnly = true
	}
	var tracer *trace.Tracer
	if env.Tracing.On() {
		if tracer, err = newTracer(env, log); err != nil {
			return nil, err
		}
		meshCfg.Tracer = tracer
	}
	client, err := mesh.New(meshCfg)
	if err != nil {
		return nil, err
	}

	builder := config.NewBuilder(config.SnapshotConfig{
		LimitStore: counters,
		DefaultLimits: []ratelimit.Rule{{Dimension: ratelimit.IP, Limit: ratelimit.Config{
			Name: "ip", Requests: env.LimitPerIPPerMinute, Window: time.Minute, FailMode: ratelimit.FailOpen}}},
		Transcoding:  transcode.Config{Caller: client, Logger: log},
		Logger:       log,
		StoreTimeout: env.StoreTimeout,
	})
	watch, err := live.NewWatch(live.Config{Source: src, Name: "gateway configuration", Refresh: env.Refresh, Logger: log}, builder.Build)
	if err != nil {
		return nil, err
	}
	policies.Watch = watch
	if err := watch.Load(ctx); err != nil {
		// Not fatal: the handler answers 503 and the watch retries.
		log.Error("cold start: no configuration yet", "err", err)
	}

	keyStore, err := apikeydynamo.New(ddb, env.Table)
	if err != nil {
		return nil, err
	}
	keys, err := apikey.New(apikey.Config{Store: keyStore, StoreTimeout: env.StoreTimeout})
	if err != nil {
		return nil, err
	}
	cacheStore, err := cachedynamo.New(ddb, env.Table, nil)
	if err != nil {
		return nil, err
	}
	// A short in-memory tier per warm instance in front of DynamoDB.
	responses, err := cache.New(cache.Config{Store: cacheStore, LocalTTL: 5 * time.Second, StoreTimeout: env.StoreTimeout, Logger: log})
	if err != nil {
		return nil, err
	}
	meter, err := usageRecorder(ddb, env, log)
	if err != nil {
		return nil, err
	}
	return gateway.New(gateway.Config{
		Configuration: watch, Transport: client, APIKeys: keys, Cache: responses, Usage: meter,
		Tracer: tracer, Name: env.Name, Logger: log, Metrics: stdout, CORS: env.CORS,
		AccessLog: logging.NewLines(stdout, "function", "aggregator"),
	})
}

// credentials loads the gateway's mesh certificate from Secrets Manager,
// re-read on handshakes once a minute, so a rotation needs no redeploy.
func credentials(ctx context.Context, env Env, cfg aws.Config, log *slog.Logger) (*mtls.Credentials, error) {
	source, err := mtlssm.New(secretsmanager.NewFromConfig(cfg), env.MeshSecret)
	if err != nil {
		return nil, err
	}
	creds, err := mtls.New(ctx, mtls.Config{Source: source, TrustDomain: env.TrustDomain, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("aggregator: the gateway's mesh certificate (%s): %w", env.MeshSecret, err)
	}
	return creds, nil
}
