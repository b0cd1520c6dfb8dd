package mtls

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sentinel errors. Errors returned by this package wrap one of them.
var (
	// ErrMaterial: a certificate, key or CA bundle is missing or unusable.
	ErrMaterial = errors.New("mtls: unusable certificate material")
	// ErrUntrusted: a peer's certificate does not chain to the current CA
	// bundle, is expired or not yet valid, or is not for this use.
	ErrUntrusted = errors.New("mtls: untrusted peer certificate")
	// ErrIdentity: a peer's certificate is trusted but names another
	// identity than the expected one. The error is an *IdentityError.
	ErrIdentity = errors.New("mtls: unexpected peer identity")
)

// IdentityError reports a peer whose certificate names none of the expected
// identities. It unwraps to ErrIdentity.
type IdentityError struct {
	// Got are the URI and DNS SANs of the peer's certificate.
	Got []string
	// Want are the identities that would have been accepted.
	Want []string
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("mtls: peer is %v, want one of %v", e.Got, e.Want)
}

// Unwrap returns ErrIdentity.
func (e *IdentityError) Unwrap() error { return ErrIdentity }

// Material is one version of a service's TLS credentials, PEM encoded.
type Material struct {
	// CertPEM is the service's certificate chain, leaf first.
	CertPEM []byte
	// KeyPEM is the leaf's private key.
	KeyPEM []byte
	// CAPEM is the bundle of CAs that peers' certificates must chain to.
	// During a CA rotation it holds the old and the new CA.
	CAPEM []byte
}

// Source supplies the current Material.
type Source interface {
	Load(ctx context.Context) (Material, error)
}

// Files reads Material from PEM files, such as those a secrets agent or
// a mounted volume keeps up to date.
type Files struct {
	// Cert is the path of the certificate chain, leaf first.
	Cert string
	// Key is the path of the private key.
	Key string
	// CA is the path of the CA bundle.
	CA string
}

var _ Source = Files{}

// Load reads the three files.
func (f Files) Load(context.Context) (Material, error) {
	var m Material
	for _, x := range []struct {
		path string
		dst  *[]byte
	}{{f.Cert, &m.CertPEM}, {f.Key, &m.KeyPEM}, {f.CA, &m.CAPEM}} {
		b, err := os.ReadFile(x.path)
		if err != nil {
			return Material{}, fmt.Errorf("%w: %w", ErrMaterial, err)
		}
		*x.dst = b
	}
	return m, nil
}

// Memory holds Material set by code, for example by an adapter that reads
// a secret store and calls Set (then Credentials.Reload, to use it at once).
// The zero Memory is empty and ready to use.
type Memory struct {
	mu sync.RWMutex
	m  Material
}

var _ Source = (*Memory)(nil)

// Set replaces the material.
func (s *Memory) Set(m Material) {
	s.mu.Lock()
	s.m = Material{CertPEM: bytes.Clone(m.CertPEM), KeyPEM: bytes.Clone(m.KeyPEM), CAPEM: bytes.Clone(m.CAPEM)}
	s.mu.Unlock()
}

// Load returns the material last Set.
func (s *Memory) Load(context.Context) (Material, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.m.CertPEM == nil {
		return Material{}, fmt.Errorf("%w: nothing set in memory", ErrMaterial)
	}
	return s.m, nil
}

// Clock is the time source for certificate validity and reload intervals.
type Clock interface {
	Now() time.Time
}

// Config configures Credentials.
type Config struct {
	// Source supplies the certificate, key and CA bundle. Required.
	Source Source
	// TrustDomain names the mesh in identities: spiffe://<TrustDomain>/<service>.
	// Default "portico".
	TrustDomain string
	// Expect returns the identities a peer of service may show: URIs (with
	// "://") matched against its URI SANs, other values against its DNS
	// SANs. Nil means the URI spiffe://<TrustDomain>/<service>.
	Expect func(service string) []string
	// ReloadInterval is how often the Source is read again, checked on
	// handshakes (so an idle Lambda does no work). Default 1m.
	ReloadInterval time.Duration
	// Clock checks validity and reload times. Nil means the system clock.
	Clock Clock
	// Logger receives reloads and rejected material. Nil discards.
	Logger *slog.Logger
}

// Validate reports an unusable configuration.
func (c Config) Validate() error {
	if c.Source == nil {
		return errors.New("mtls: config: Source is required")
	}
	if c.ReloadInterval < 0 {
		return fmt.Errorf("mtls: config: ReloadInterval %s is negative", c.ReloadInterval)
	}
	if strings.ContainsAny(c.TrustDomain, "/: ") {
		return fmt.Errorf("mtls: config: TrustDomain %q must be a bare name such as portico", c.TrustDomain)
	}
	return nil
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Credentials serve a service's current certificate and verify peers against
// the current CA bundle. Safe for concurrent use.
type Credentials struct {
	cfg   Config
	log   *slog.Logger
	clock Clock

	state      atomic.Pointer[state]
	reloadMu   sync.Mutex
	nextReload atomic.Int64 // unix nanoseconds
	clients    sync.Map     // service → *tls.Config
}

// state is one loaded Material.
type state struct {
	raw      Material
	cert     *tls.Certificate
	pool     *x509.CertPool
	identity string
}

// New loads the material once and returns Credentials; it fails when the
// material is unusable.
func New(ctx context.Context, cfg Config) (*Credentials, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TrustDomain == "" {
		cfg.TrustDomain = "portico"
	}
	if cfg.ReloadInterval == 0 {
		cfg.ReloadInterval = time.Minute
	}
	c := &Credentials{cfg: cfg, log: cfg.Logger, clock: cfg.Clock}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = systemClock{}
	}
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// ID returns the SPIFFE ID of service in the trust domain.
func (c *Credentials) ID(service string) string {
	return "spiffe://" + c.cfg.TrustDomain + "/" + service
}

// Identity returns this service's own identity: the first URI SAN of its
// certificate, else the first DNS SAN.
func (c *Credentials) Identity() string {
	return c.state.Load().identity
}

// expect returns the identities a peer of service may show.
func (c *Credentials) expect(service string) []string {
	if c.cfg.Expect != nil {
		return c.cfg.Expect(service)
	}
	return []string{c.ID(service)}
}

// Reload reads the Source now. Unusable material is refused and the current
// material stays in use; the error says why.
func (c *Credentials) Reload(ctx context.Context) error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	return c.reload(ctx)
}

// reload does Reload's work; reloadMu is held.
func (c *Credentials) reload(ctx context.Context) error {
	now := c.clock.Now()
	c.nextReload.Store(now.Add(c.cfg.ReloadInterval).UnixNano())
	m, err := c.cfg.Source.Load(ctx)
	if err != nil {
		return fmt.Errorf("mtls: load: %w", err)
	}
	cur := c.state.Load()
	if cur != nil && bytes.Equal(cur.raw.CertPEM, m.CertPEM) && bytes.Equal(cur.raw.KeyPEM, m.KeyPEM) && bytes.Equal(cur.raw.CAPEM, m.CAPEM) {
		return nil
	}
	st, err := parse(m)
	if err != nil {
		return err
	}
	leaf := st.cert.Leaf
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		c.log.WarnContext(ctx, "mtls: own certificate is not valid now", "identity", st.identity, "notBefore", leaf.NotBefore, "notAfter", leaf.NotAfter)
	}
	c.state.Store(st)
	if cur != nil {
		c.log.InfoContext(ctx, "mtls: credentials rotated", "identity", st.identity, "notAfter", leaf.NotAfter)
	}
	return nil
}

// maybeReload reloads when the interval has passed; one caller does, the
// others carry on with the current material.
func (c *Credentials) maybeReload(ctx context.Context) {
	if c.clock.Now().UnixNano() < c.nextReload.Load() || !c.reloadMu.TryLock() {
		return
	}
	defer c.reloadMu.Unlock()
	if c.clock.Now().UnixNano() < c.nextReload.Load() {
		return
	}
	if err := c.reload(ctx); err != nil {
		c.log.WarnContext(ctx, "mtls: reload failed, keeping the current credentials", "err", err)
	}
}

// parse checks and parses m.
func parse(m Material) (*state, error) {
	cert, err := tls.X509KeyPair(m.CertPEM, m.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate and key: %w", ErrMaterial, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%w: certificate: %w", ErrMaterial, err)
		}
	}
	pool := x509.NewCertPool()
	rest, n := m.CAPEM, 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		ca, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: CA bundle: certificate %d: %w", ErrMaterial, n+1, err)
		}
		pool.AddCert(ca)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: CA bundle holds no certificate", ErrMaterial)
	}
	return &state{raw: m, cert: &cert, pool: pool, identity: firstIdentity(cert.Leaf)}, nil
}

func firstIdentity(cert *x509.Certificate) string {
	if ids := identities(cert); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// identities returns cert's URI SANs, then its DNS SANs.
func identities(cert *x509.Certificate) []string {
	var ids []string
	for _, u := range cert.URIs {
		ids = append(ids, u.String())
	}
	return append(ids, cert.DNSNames...)
}

// verify checks a peer's chain against the current bundle at the clock's
// time, for usage, and its identity against want (nil accepts any).
func (c *Credentials) verify(certs []*x509.Certificate, usage x509.ExtKeyUsage, want []string) error {
	if len(certs) == 0 {
		return fmt.Errorf("%w: the peer sent no certificate", ErrUntrusted)
	}
	inter := x509.NewCertPool()
	for _, ic := range certs[1:] {
		inter.AddCert(ic)
	}
	opts := x509.VerifyOptions{Roots: c.state.Load().pool, Intermediates: inter, CurrentTime: c.clock.Now(), KeyUsages: []x509.ExtKeyUsage{usage}}
	if _, err := certs[0].Verify(opts); err != nil {
		return fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	if want == nil {
		return nil
	}
	got := identities(certs[0])
	for _, id := range got {
		if slices.Contains(want, id) {
			return nil
		}
	}
	return &IdentityError{Got: got, Want: want}
}

// current returns the certificate to present, reloading first when due.
func (c *Credentials) current(ctx context.Context) *tls.Certificate {
	c.maybeReload(ctx)
	return c.state.Load().cert
}

// verifyReloadTimeout bounds a reload made while a client verifies a
// server, where tls provides no context.
const verifyReloadTimeout = 5 * time.Second

// ClientConfig returns the TLS configuration for connections to service's
// instances: it presents the current certificate and accepts a server whose
// chain verifies against the current bundle and that shows one of service's
// expected identities. Sessions are not resumed, so every connection is
// authenticated with the material current when it is made.
func (c *Credentials) ClientConfig(service string) *tls.Config {
	if cfg, ok := c.clients.Load(service); ok {
		return cfg.(*tls.Config)
	}
	want := c.expect(service)
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS13,
		ServerName: service,
		NextProtos: []string{"http/1.1"},
		// Verification is done by VerifyConnection against the bundle
		// current at handshake time, which RootCAs cannot follow.
		InsecureSkipVerify: true,
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return c.current(cri.Context()), nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			// A client checks the server before tls asks for its own
			// certificate (where current reloads), so reload here when due:
			// else a bundle that gained the server's new CA would not be
			// read until a handshake succeeds, which it never would. tls
			// gives this callback no context; the reload is bounded.
			ctx, cancel := context.WithTimeout(context.Background(), verifyReloadTimeout)
			c.maybeReload(ctx)
			cancel()
			if err := c.verify(cs.PeerCertificates, x509.ExtKeyUsageServerAuth, want); err != nil {
				return fmt.Errorf("mtls: server %s: %w", service, err)
			}
			return nil
		},
	}
	got, _ := c.clients.LoadOrStore(service, cfg)
	return got.(*tls.Config)
}

// ServerConfig returns the TLS configuration for a service's server: it
// presents the current certificate, requires a client certificate that
// verifies against the current bundle, and, when services are given, one
// that shows an expected identity of one of them (else any member of the
// mesh is accepted). Use it as http.Server.TLSConfig.
func (c *Credentials) ServerConfig(services ...string) *tls.Config {
	var want []string
	for _, s := range services {
		want = append(want, c.expect(s)...)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			return &tls.Config{
				MinVersion:             tls.VersionTLS13,
				NextProtos:             []string{"http/1.1"},
				Certificates:           []tls.Certificate{*c.current(hello.Context())},
				ClientAuth:             tls.RequireAnyClientCert,
				SessionTicketsDisabled: true,
				VerifyConnection: func(cs tls.ConnectionState) error {
					if err := c.verify(cs.PeerCertificates, x509.ExtKeyUsageClientAuth, want); err != nil {
						return fmt.Errorf("mtls: client: %w", err)
					}
					return nil
				},
			}, nil
		},
	}
}

// PeerIdentity returns the identity of the peer of a verified connection
// (r.TLS in a handler): its first URI SAN, else its first DNS SAN.
func PeerIdentity(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	return firstIdentity(cs.PeerCertificates[0])
}
