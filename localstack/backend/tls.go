package backend

import (
	"context"
	"crypto/tls"
	"errors"
	"sync"
	"time"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// LazyTLS is the server TLS configuration of a demo service whose mesh
// certificate is created by `terraform apply` after the service starts
// listening (make demo and the end-to-end tests register the service's port
// in the same apply): the credentials are loaded on the first handshake,
// and tried again at most once per retry interval until they load. Until
// then every handshake fails, and the gateway's call fails with it.
type LazyTLS struct {
	// Load returns the service's credentials, from its secret.
	Load func(ctx context.Context) (*mtls.Credentials, error)
	// Allow lists the mesh services that may call (the gateway); empty
	// allows any member of the mesh.
	Allow []string

	mu    sync.Mutex
	cfg   *tls.Config
	next  time.Time
	lastE error
}

// retryInterval bounds how often LazyTLS tries to load missing credentials.
const retryInterval = time.Second

// Config returns the tls.Config for an http.Server.
func (l *LazyTLS) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			cfg, err := l.server(hello.Context())
			if err != nil {
				return nil, err
			}
			return cfg.GetConfigForClient(hello)
		},
	}
}

func (l *LazyTLS) server(ctx context.Context) (*tls.Config, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg != nil {
		return l.cfg, nil
	}
	if time.Now().Before(l.next) {
		return nil, l.lastE
	}
	creds, err := l.Load(ctx)
	if err != nil {
		l.next, l.lastE = time.Now().Add(retryInterval), errors.Join(errors.New("backend: mesh certificate not loaded yet"), err)
		return nil, l.lastE
	}
	l.cfg = creds.ServerConfig(l.Allow...)
	return l.cfg, nil
}
