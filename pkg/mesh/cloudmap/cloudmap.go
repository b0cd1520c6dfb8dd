// Package cloudmap is the AWS Cloud Map adapter of package mesh: it discovers a
// service's instances with DiscoverInstances in one HTTP namespace, with their
// health, and reports revisions with DiscoverInstancesRevision so the mesh
// client rediscovers only when instances changed. Policies reads services'
// traffic policies from their service attributes (GetServiceAttributes),
// where the Terraform provider writes them with EncodePolicy.
package cloudmap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/pkg/mesh"
)

// Reserved Cloud Map attribute names for an instance's address and port.
const (
	AttrIPv4 = "AWS_INSTANCE_IPV4"
	AttrPort = "AWS_INSTANCE_PORT"
)

// API is the part of the Cloud Map client the Discoverer uses.
type API interface {
	DiscoverInstances(ctx context.Context, in *servicediscovery.DiscoverInstancesInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesOutput, error)
	DiscoverInstancesRevision(ctx context.Context, in *servicediscovery.DiscoverInstancesRevisionInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesRevisionOutput, error)
}

// MaxInstances is the most instances one DiscoverInstances call returns
// (its MaxResults may not exceed it, and the call does not page): a
// service with more is seen only in part. Without MaxResults the call
// returns at most 100.
const MaxInstances = 1000

// Discoverer implements mesh.Discoverer on Cloud Map.
type Discoverer struct {
	api       API
	namespace string
	log       *slog.Logger
}

// Option configures a Discoverer.
type Option func(*Discoverer)

// WithLogger sets where the Discoverer warns, for example when a service
// has MaxInstances instances, some of which it cannot see. Nil discards.
func WithLogger(l *slog.Logger) Option {
	return func(d *Discoverer) {
		if l != nil {
			d.log = l
		}
	}
}

var (
	_ mesh.Discoverer         = (*Discoverer)(nil)
	_ mesh.Reviser            = (*Discoverer)(nil)
	_ mesh.RevisionDiscoverer = (*Discoverer)(nil)
)

// New returns a Discoverer for the services of namespace (its name, not its ID).
func New(api API, namespace string, opts ...Option) (*Discoverer, error) {
	if api == nil {
		return nil, errors.New("cloudmap: API client is required")
	}
	if namespace == "" {
		return nil, errors.New("cloudmap: namespace name is required")
	}
	d := &Discoverer{api: api, namespace: namespace, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(d)
	}
	return d, nil
}

// Discover returns the instances of service with their health. It asks for
// every instance (HealthStatus ALL) and leaves the healthy-or-else-all choice
// to the mesh client; instances without a usable address or port are skipped.
func (d *Discoverer) Discover(ctx context.Context, service string) ([]mesh.Instance, error) {
	instances, _, err := d.DiscoverRevision(ctx, service)
	return instances, err
}

// DiscoverRevision is Discover that also returns the instances' revision,
// which DiscoverInstances reports (mesh.RevisionDiscoverer): a full discovery
// is one call.
func (d *Discoverer) DiscoverRevision(ctx context.Context, service string) ([]mesh.Instance, int64, error) {
	out, err := d.api.DiscoverInstances(ctx, &servicediscovery.DiscoverInstancesInput{
		NamespaceName: aws.String(d.namespace),
		ServiceName:   aws.String(service),
		HealthStatus:  sdtypes.HealthStatusFilterAll,
		MaxResults:    aws.Int32(MaxInstances),
	})
	if err != nil {
		// Do not leak SDK error types out of pkg/: keep only the message.
		return nil, 0, fmt.Errorf("cloudmap: discover %s.%s: %s", service, d.namespace, err.Error())
	}
	if len(out.Instances) >= MaxInstances {
		d.log.WarnContext(ctx, "service has as many instances as one discovery returns; instances beyond them are not used",
			"service", service, "namespace", d.namespace, "instances", len(out.Instances), "max", MaxInstances)
	}
	instances := make([]mesh.Instance, 0, len(out.Instances))
	for _, s := range out.Instances {
		port, err := strconv.Atoi(s.Attributes[AttrPort])
		addr := s.Attributes[AttrIPv4]
		if err != nil || port < 1 || port > 65535 || addr == "" {
			continue
		}
		attrs := make(map[string]string, len(s.Attributes))
		for k, v := range s.Attributes {
			if k != AttrIPv4 && k != AttrPort {
				attrs[k] = v
			}
		}
		instances = append(instances, mesh.Instance{ID: aws.ToString(s.InstanceId), Address: addr, Port: port, Attributes: attrs, Health: health(s.HealthStatus)})
	}
	return instances, aws.ToInt64(out.InstancesRevision), nil
}

// health maps a Cloud Map health status; UNKNOWN (no health check result yet)
// counts as healthy, as Cloud Map's own HEALTHY_OR_ELSE_ALL does.
func health(s sdtypes.HealthStatus) mesh.Health {
	switch s {
	case sdtypes.HealthStatusHealthy:
		return mesh.HealthHealthy
	case sdtypes.HealthStatusUnhealthy:
		return mesh.HealthUnhealthy
	}
	return mesh.HealthUnknown
}

// Revision returns the service's instances revision, which changes when an
// instance is registered or deregistered (not when its health changes).
func (d *Discoverer) Revision(ctx context.Context, service string) (int64, error) {
	out, err := d.api.DiscoverInstancesRevision(ctx, &servicediscovery.DiscoverInstancesRevisionInput{
		NamespaceName: aws.String(d.namespace),
		ServiceName:   aws.String(service),
	})
	if err != nil {
		return 0, fmt.Errorf("cloudmap: revision %s.%s: %s", service, d.namespace, err.Error())
	}
	return aws.ToInt64(out.InstancesRevision), nil
}
