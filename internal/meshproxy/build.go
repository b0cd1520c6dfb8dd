package meshproxy

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
	meshdynamo "github.com/portico-gw/portico/pkg/mesh/dynamo"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
	"github.com/portico-gw/portico/pkg/trace"
)

// Build makes the Dependencies that cfg describes, and a function that
// releases them (closes the trace socket).
type Build func(ctx context.Context, cfg Config, log *slog.Logger) (Dependencies, func(), error)

// BuildAWS is the Build of the real thing: Cloud Map discovery and the
// traffic policies portico_service writes (package mesh/cloudmap), the
// certificates of a Secrets Manager secret or of files (package mesh/mtls),
// X-Ray segments over UDP (package trace), and shared ejections in
// DynamoDB (package mesh/dynamo) when a table is given.
func BuildAWS(ctx context.Context, cfg Config, log *slog.Logger) (Dependencies, func(), error) {
	awsCfg, err := awsconfig.Load(ctx, awsconfig.Options{Endpoint: cfg.Endpoint, CABundle: cfg.CABundle})
	if err != nil {
		return Dependencies{}, nil, err
	}
	sd := servicediscovery.NewFromConfig(awsCfg, func(o *servicediscovery.Options) {
		if awsconfig.UsesCustomEndpoint(awsCfg) {
			o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
		}
	})
	disc, err := cloudmap.New(sd, cfg.Namespace, cloudmap.WithLogger(log))
	if err != nil {
		return Dependencies{}, nil, err
	}
	policies, err := cloudmap.NewPolicies(sd, cfg.Namespace)
	if err != nil {
		return Dependencies{}, nil, err
	}
	var src mtls.Source
	switch {
	case cfg.TLSSecret != "":
		if src, err = secretsmanager.New(awssm.NewFromConfig(awsCfg), cfg.TLSSecret); err != nil {
			return Dependencies{}, nil, err
		}
	case cfg.TLSCert != "":
		src = mtls.Files{Cert: cfg.TLSCert, Key: cfg.TLSKey, CA: cfg.TLSCA}
	}
	var creds *mtls.Credentials
	if src != nil {
		if creds, err = mtls.New(ctx, mtls.Config{Source: src, TrustDomain: cfg.TrustDomain, Logger: log}); err != nil {
			return Dependencies{}, nil, fmt.Errorf("certificates: %w", err)
		}
	}
	var ejections mesh.Ejections
	if cfg.EjectionsTable != "" {
		if ejections, err = meshdynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.EjectionsTable); err != nil {
			return Dependencies{}, nil, err
		}
	}
	var (
		tracer *trace.Tracer
		sender *trace.UDP
	)
	release := func() {
		if sender != nil {
			sender.Close()
		}
	}
	if cfg.XRayDaemon != "" {
		if sender, err = trace.DialUDP(cfg.XRayDaemon); err != nil {
			return Dependencies{}, nil, err
		}
		name := cfg.Service
		if name == "" {
			name = "portico-mesh"
		}
		if tracer, err = trace.New(trace.Config{Service: name, Sender: sender, Logger: log}); err != nil {
			release()
			return Dependencies{}, nil, err
		}
	}
	d := Dependencies{Credentials: creds, Tracer: tracer, Logger: log}
	client := func(tls bool) (*mesh.Client, error) {
		mc := mesh.Config{
			Discoverer: disc, PolicySource: policies, RefreshInterval: cfg.Refresh, Ejections: ejections, Logger: log,
			// Never through HTTP_PROXY: a function that sets it for its own
			// calls would send the mesh's calls back to this proxy.
			Transport: &http.Transport{
				Proxy:               nil,
				DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				MaxIdleConnsPerHost: 100,
				IdleConnTimeout:     90 * time.Second,
			},
		}
		if tls && creds != nil {
			mc.TLS = creds
		}
		if tracer != nil {
			mc.Tracer = tracer
		}
		return mesh.New(mc)
	}
	if d.Mesh, err = client(true); err != nil {
		release()
		return Dependencies{}, nil, err
	}
	if len(cfg.Plaintext) > 0 {
		if d.Plain, err = client(false); err != nil {
			release()
			return Dependencies{}, nil, err
		}
	}
	return d, release, nil
}
