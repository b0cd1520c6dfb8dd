// Package mesh is Portico's sidecar-free service mesh client. Application code
// makes ordinary HTTP calls to a logical service name, such as
// http://user-service/users/123, through a Client (an http.RoundTripper); the
// Client finds the service's instances through a Discoverer (AWS Cloud Map in
// production, see package mesh/cloudmap), caches them, and sends each request to
// one of them.
//
// This is the walking-skeleton client: discovery with a cache that keeps serving
// the last known instances when discovery fails, and round-robin balancing.
// Retries, circuit breaking, outlier detection, traffic policy and mTLS build on it.
package mesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Sentinel errors.
var (
	// ErrNoInstances: discovery answered, but the service has no instance.
	ErrNoInstances = errors.New("mesh: no instances")
	// ErrDiscovery: discovery failed and nothing was cached for the service.
	ErrDiscovery = errors.New("mesh: discovery failed")
)

// Instance is one addressable copy of a service.
type Instance struct {
	// ID is the instance ID registered in the registry.
	ID string
	// Address is the IPv4 address or host name to connect to.
	Address string
	// Port is the TCP port.
	Port int
	// Attributes are the registry's custom attributes, such as "version".
	Attributes map[string]string
}

// HostPort returns "address:port".
func (i Instance) HostPort() string {
	return net.JoinHostPort(i.Address, strconv.Itoa(i.Port))
}

// Discoverer lists the instances of a service.
type Discoverer interface {
	Discover(ctx context.Context, service string) ([]Instance, error)
}

// Config configures a Client.
type Config struct {
	// Discoverer finds instances. Required.
	Discoverer Discoverer
	// RefreshInterval is how long a discovered instance list is used before it is
	// asked for again. Default 30s. It bounds the discovery call rate per
	// process at one call per service per interval, whatever the request rate.
	RefreshInterval time.Duration
	// Transport sends the rewritten requests. Default http.DefaultTransport.
	Transport http.RoundTripper
	// Logger receives discovery failures. Nil discards.
	Logger *slog.Logger
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.Discoverer == nil {
		return errors.New("mesh: config: Discoverer is required")
	}
	if c.RefreshInterval < 0 {
		return fmt.Errorf("mesh: config: RefreshInterval %s is negative", c.RefreshInterval)
	}
	return nil
}

// Client routes requests for logical service names to discovered instances.
// It is an http.RoundTripper and safe for concurrent use.
type Client struct {
	cfg      Config
	mu       sync.Mutex
	services map[string]*entry
}

var _ http.RoundTripper = (*Client)(nil)

// entry is the cached state of one service.
type entry struct {
	mu        sync.Mutex // held while discovering, so one caller asks per service
	instances []Instance
	fetched   time.Time
	next      atomic.Uint64
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = 30 * time.Second
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg, services: map[string]*entry{}}, nil
}

// HTTPClient returns an *http.Client that sends through c.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{Transport: c}
}

// Pick returns the instance the next request to service goes to.
func (c *Client) Pick(ctx context.Context, service string) (Instance, error) {
	e := c.entry(service)
	instances, err := c.instances(ctx, service, e)
	if err != nil {
		return Instance{}, err
	}
	n := e.next.Add(1) - 1
	return instances[n%uint64(len(instances))], nil
}

// RoundTrip sends req to an instance of the service named by req.URL.Host.
// The request's scheme is kept; its host is replaced by the instance's address.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	inst, err := c.Pick(req.Context(), req.URL.Hostname())
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.URL.Host = inst.HostPort()
	out.Host = inst.HostPort()
	return c.cfg.Transport.RoundTrip(out)
}

func (c *Client) entry(service string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.services[service]
	if !ok {
		e = &entry{}
		c.services[service] = e
	}
	return e
}

// instances returns the cached list, refreshing it when it is stale. A failed
// refresh keeps the last known list.
func (c *Client) instances(ctx context.Context, service string, e *entry) ([]Instance, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.cfg.Now()
	if e.instances != nil && now.Sub(e.fetched) < c.cfg.RefreshInterval {
		return e.instances, nil
	}
	got, err := c.cfg.Discoverer.Discover(ctx, service)
	switch {
	case err != nil && e.instances != nil:
		c.cfg.Logger.WarnContext(ctx, "mesh: discovery failed, keeping last known instances", "service", service, "err", err)
		e.fetched = now // do not ask again on every request while discovery is down
		return e.instances, nil
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrDiscovery, service, err)
	case len(got) == 0:
		e.instances, e.fetched = nil, time.Time{}
		return nil, fmt.Errorf("%w: %s", ErrNoInstances, service)
	}
	e.instances, e.fetched = got, now
	return got, nil
}
