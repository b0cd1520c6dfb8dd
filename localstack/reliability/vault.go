package reliability

import (
	"bytes"
	"context"
	"crypto/tls"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/localstack/backend"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// Vault is vault-service: a demo service that requires mutual TLS and takes
// only the gateway's identity, reading its own certificate from its
// secret. It records the serial of each client certificate it sees, so a
// row can tell when the gateway moved to a rotated one. It closes idle
// connections after a second, so that the gateway handshakes (and reloads
// its certificate when due) often.
type Vault struct {
	ln  net.Listener
	srv *http.Server

	mu     sync.Mutex
	serial map[string]time.Time // client certificate serial → first seen

	// Refused counts the handshakes the server failed: a gateway without
	// its certificate ends them.
	Refused atomic.Int64
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n *atomic.Int64 }

func (c lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// ListenVault reserves vault-service's port.
func ListenVault(bind string) (*Vault, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		return nil, err
	}
	return &Vault{ln: ln, serial: map[string]time.Time{}}, nil
}

// Port is the service's port.
func (v *Vault) Port() int { return v.ln.Addr().(*net.TCPAddr).Port }

// Serve serves with the certificate in secret (read straight from the
// emulator's Secrets Manager, not through the fault proxy).
func (v *Vault) Serve(ctx context.Context, sm *secretsmanager.Client, secret string) error {
	src, err := mtlssm.New(sm, secret)
	if err != nil {
		return err
	}
	creds, err := mtls.New(ctx, mtls.Config{Source: src})
	if err != nil {
		return err
	}
	h := backend.Handler("vault-service")
	v.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Second, TLSConfig: creds.ServerConfig("gateway"),
		ErrorLog: log.New(lineCounter{&v.Refused}, "", 0),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
				s := r.TLS.PeerCertificates[0].SerialNumber.String()
				v.mu.Lock()
				if _, ok := v.serial[s]; !ok {
					v.serial[s] = time.Now()
				}
				v.mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})}
	go v.srv.Serve(tls.NewListener(v.ln, v.srv.TLSConfig))
	return nil
}

// FirstSeen returns when the client certificate with serial first called.
func (v *Vault) FirstSeen(serial string) (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.serial[serial]
	return t, ok
}

// Close stops the service.
func (v *Vault) Close() {
	if v.srv != nil {
		v.srv.Close()
	}
	v.ln.Close()
}
