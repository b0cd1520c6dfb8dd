package aggregator

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// errNoMeshCertificate fails the handshakes of a gateway that has not read
// its mesh certificate yet.
var errNoMeshCertificate = errors.New("aggregator: the gateway's mesh certificate is not loaded yet")

// lateCredentials are the gateway's mesh credentials when Secrets Manager
// could not be read at cold start: instead of failing the function's
// initialization (every request then answered by API Gateway's own 502),
// the instance serves, calls to services that require mutual TLS fail their
// handshake (nothing is sent; the client gets 502), and the certificate is
// read again, at most once per every, until it loads.
type lateCredentials struct {
	load  func(context.Context) (*mtls.Credentials, error)
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	creds atomic.Pointer[mtls.Credentials]
	mu    sync.Mutex
	next  time.Time
}

var _ mesh.ClientTLS = (*lateCredentials)(nil)

// loadTimeout bounds one late read of the certificate, which happens in a
// request's dial.
const loadTimeout = 2 * time.Second

// ClientConfig implements mesh.ClientTLS.
func (l *lateCredentials) ClientConfig(service string) *tls.Config {
	if c := l.creds.Load(); c != nil {
		return c.ClientConfig(service)
	}
	if c := l.try(); c != nil {
		return c.ClientConfig(service)
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return nil, errNoMeshCertificate
		},
		VerifyConnection: func(tls.ConnectionState) error { return errNoMeshCertificate },
	}
}

// try reads the certificate when a read is due; nil while it cannot.
func (l *lateCredentials) try() *mtls.Credentials {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.creds.Load(); c != nil {
		return c
	}
	now := l.now()
	if now.Before(l.next) {
		return nil
	}
	l.next = now.Add(l.every)
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	c, err := l.load(ctx)
	if err != nil {
		l.log.Warn("the gateway's mesh certificate still cannot be read; services that require mutual TLS fail", "err", err)
		return nil
	}
	l.log.Info("the gateway's mesh certificate is loaded")
	l.creds.Store(c)
	return c
}
