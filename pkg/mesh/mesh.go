package mesh

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Sentinel errors. Errors returned by the Client wrap one of them.
var (
	// ErrNoInstances: discovery answered, but no instance of the service (or
	// of the version a request was routed to) is available.
	ErrNoInstances = errors.New("mesh: no instances")
	// ErrDiscovery: discovery failed and nothing was cached for the service.
	ErrDiscovery = errors.New("mesh: discovery failed")
	// ErrOverflow: a circuit-breaking limit (Pool) was reached; the request
	// was refused at once. The error is an *OverflowError.
	ErrOverflow = errors.New("mesh: pool overflow")
	// ErrPerTryTimeout: an attempt got no response headers within the
	// per-try timeout.
	ErrPerTryTimeout = errors.New("mesh: per-try timeout")
	// ErrPolicy: a Policy is invalid.
	ErrPolicy = errors.New("mesh: invalid policy")
	// ErrTLSRequired: the service's policy requires mutual TLS and the
	// Client has no TLS credentials (Config.TLS); nothing was sent.
	ErrTLSRequired = errors.New("mesh: service requires mutual TLS")
)

// Health is an instance's health as the registry reports it.
type Health string

// Health values. Unknown (no health checking) counts as healthy.
const (
	HealthUnknown   Health = ""
	HealthHealthy   Health = "HEALTHY"
	HealthUnhealthy Health = "UNHEALTHY"
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
	// Health is the registry's health status; the zero value (unknown)
	// counts as healthy.
	Health Health
}

// HostPort returns "address:port".
func (i Instance) HostPort() string {
	return net.JoinHostPort(i.Address, strconv.Itoa(i.Port))
}

// Config configures a Client.
type Config struct {
	// Discoverer finds instances. Required. If it is also a Reviser, the
	// Client checks revisions instead of rediscovering every interval.
	Discoverer Discoverer
	// RefreshInterval is how long a discovered instance list is used before
	// the registry is asked again. Default 30s. It bounds the registry call
	// rate per process at one discovery (or one revision check, plus one
	// discovery when the revision changed) per service per interval, whatever
	// the request rate.
	RefreshInterval time.Duration
	// RefreshJitter spreads the registry calls of processes that start
	// together, such as a fleet of function instances scaling out at once:
	// each refresh interval is shortened by a random share of up to
	// RefreshJitter (0.2: 80–100 % of RefreshInterval), and a failed
	// discovery of a service with nothing cached is retried after a
	// jittered exponential backoff (0.5–1 s, then 1–2 s, … up to 4–8 s)
	// instead of every second. 0 keeps every interval exact; at most 0.5.
	RefreshJitter float64
	// ResyncInterval forces a full discovery even when the revision did not
	// change, to pick up health changes (which do not change a Cloud Map
	// revision). Default 4 × RefreshInterval. Used only with a Reviser.
	ResyncInterval time.Duration
	// Transport sends the rewritten requests. Default http.DefaultTransport.
	// An *http.Transport is cloned so the Client can count its connections
	// (Pool.MaxConnections); other RoundTrippers are used as they are.
	Transport http.RoundTripper
	// TLS, when set, makes the Client connect to instances with TLS (the
	// request's scheme becomes https) using the configuration TLS gives for
	// the service, which checks the instance's identity; package mesh/mtls
	// provides one with mutual TLS and rotation. It needs Transport to be an
	// *http.Transport (or nil). An instance address must belong to one
	// service.
	TLS ClientTLS
	// TLSRequiredOnly, with TLS, connects over TLS only to the services
	// whose policy sets MTLS, and in plain HTTP to the others: for a client,
	// such as the gateway, in front of a fleet where not every service speaks
	// TLS. Without it, TLS is used for every service.
	TLSRequiredOnly bool
	// Tracer, when set, records a span per call (not per attempt) with the
	// service, and the version, instance and retries of its last attempt,
	// and propagates the trace header to the instance. Package trace
	// provides one that writes X-Ray segments.
	Tracer Tracer
	// Logger receives discovery failures and ejections. Nil discards.
	Logger *slog.Logger
	// Policy applies to every service not in Policies. The zero Policy means
	// the defaults.
	Policy Policy
	// Policies are per-service policies, keyed by logical service name.
	Policies map[string]Policy
	// PolicySource, when set, supplies services' policies from the control
	// plane; they take precedence over Policies and Policy. A policy that
	// fails to read or to validate leaves the last good one in effect.
	PolicySource PolicySource
	// PolicyInterval is how often a service's policy is read from the
	// PolicySource, at most; default RefreshInterval. Changes are picked up
	// within one interval of a request to the service.
	PolicyInterval time.Duration
	// Ejections, when set, shares outlier ejections with other processes:
	// the Client publishes the ejections it decides and adopts those of
	// others when it refreshes a service (within MaxEjectionPercent).
	// Package mesh/dynamo keeps them in DynamoDB.
	Ejections Ejections
	// Clock is the time source. Nil means the system clock.
	Clock Clock
	// Random is the random source. Nil means math/rand/v2.
	Random Random
}

// Tracer records calls as spans of a distributed trace. *trace.Tracer
// implements it.
type Tracer interface {
	// StartCall starts a span for a call to service with req, as a child of
	// the span in ctx, and returns a context that carries it.
	StartCall(ctx context.Context, req *http.Request, service string) context.Context
	// Inject writes the propagation header of ctx's span into h.
	Inject(ctx context.Context, h http.Header)
	// EndCall ends ctx's span with the response status (0 for none), the
	// error and annotations.
	EndCall(ctx context.Context, status int, err error, annotations map[string]any)
}

// ClientTLS gives the TLS configuration for connections to the instances of
// a service. *mtls.Credentials implements it.
type ClientTLS interface {
	ClientConfig(service string) *tls.Config
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if _, ok := c.Transport.(*http.Transport); c.TLS != nil && c.Transport != nil && !ok {
		return fmt.Errorf("mesh: config: TLS needs Transport to be an *http.Transport, got %T", c.Transport)
	}
	if c.Discoverer == nil {
		return errors.New("mesh: config: Discoverer is required")
	}
	if c.RefreshInterval < 0 {
		return fmt.Errorf("mesh: config: RefreshInterval %s is negative", c.RefreshInterval)
	}
	if c.PolicyInterval < 0 {
		return fmt.Errorf("mesh: config: PolicyInterval %s is negative", c.PolicyInterval)
	}
	if c.RefreshJitter < 0 || c.RefreshJitter > 0.5 {
		return fmt.Errorf("mesh: config: RefreshJitter %g: want 0 to 0.5", c.RefreshJitter)
	}
	if c.ResyncInterval < 0 {
		return fmt.Errorf("mesh: config: ResyncInterval %s is negative", c.ResyncInterval)
	}
	if err := c.Policy.Validate(); err != nil {
		return fmt.Errorf("mesh: config: Policy: %w", err)
	}
	for name, p := range c.Policies {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("mesh: config: Policies[%q]: %w", name, err)
		}
	}
	return nil
}

// Client routes requests for logical service names to discovered instances.
// It is an http.RoundTripper and safe for concurrent use.
type Client struct {
	cfg       Config
	log       *slog.Logger
	clock     Clock
	rand      Random
	transport http.RoundTripper
	// countsConns: transport is countConnections' clone, whose connections
	// enforce MaxConnections and MaxRequestsPerConnection.
	countsConns bool
	services    sync.Map // service name → *entry
	hosts       sync.Map // "address:port" → *entry, for connection limits
}

var _ http.RoundTripper = (*Client)(nil)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = 30 * time.Second
	}
	if cfg.ResyncInterval == 0 {
		cfg.ResyncInterval = 4 * cfg.RefreshInterval
	}
	if cfg.PolicyInterval == 0 {
		cfg.PolicyInterval = cfg.RefreshInterval
	}
	c := &Client{cfg: cfg, log: cfg.Logger, clock: cfg.Clock, rand: cfg.Random, transport: cfg.Transport}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = systemClock{}
	}
	if c.rand == nil {
		c.rand = systemRandom{}
	}
	if c.transport == nil {
		c.transport = http.DefaultTransport
	}
	if t, ok := c.transport.(*http.Transport); ok {
		c.transport = c.countConnections(t)
		c.countsConns = true
	}
	return c, nil
}

// Inject writes the trace header of the call in ctx into h, when the Client
// has a Tracer: a caller that speaks another protocol through Call (gRPC
// metadata) propagates the trace with it.
func (c *Client) Inject(ctx context.Context, h http.Header) {
	if c.cfg.Tracer != nil {
		c.cfg.Tracer.Inject(ctx, h)
	}
}

// tls reports whether calls to e go over TLS: every service's with Config.TLS,
// or only those whose policy requires it with TLSRequiredOnly. A service whose
// policy requires mutual TLS without Config.TLS is ErrTLSRequired.
func (c *Client) tls(e *entry) (bool, error) {
	mtls := e.pol().mtls
	switch {
	case c.cfg.TLS == nil && mtls:
		return false, fmt.Errorf("%w: %s (the client has no certificate)", ErrTLSRequired, e.service)
	case c.cfg.TLS == nil:
		return false, nil
	case c.cfg.TLSRequiredOnly:
		return mtls, nil
	}
	return true, nil
}

// HTTPClient returns an *http.Client that sends through c and never follows
// a redirect: a 3xx answer is returned to the caller as it is, Location and
// all. A mesh client that followed redirects would call whatever host an
// instance named, with the caller's headers (identity, credentials, trace),
// outside discovery and policy; a caller that wants to follow one decides
// so itself, knowing where it leads.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{Transport: c, CheckRedirect: noRedirects}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Pick returns the instance a request to service without headers would go
// to now, following the policy's version weights, outlier ejections and
// balancer.
func (c *Client) Pick(ctx context.Context, service string) (Instance, error) {
	e := c.entry(service)
	v, err := c.fresh(ctx, e)
	if err != nil {
		return Instance{}, err
	}
	eps, err := c.route(e, v, nil)
	if err != nil {
		return Instance{}, err
	}
	return c.pick(e, eps, nil, c.clock.Now()).inst, nil
}

func (c *Client) entry(service string) *entry {
	if e, ok := c.services.Load(service); ok {
		return e.(*entry)
	}
	r := resolve(c.configured(service))
	r.origin = OriginConfig
	e := &entry{service: service}
	e.setPolicy(&r)
	got, _ := c.services.LoadOrStore(service, e)
	return got.(*entry)
}
