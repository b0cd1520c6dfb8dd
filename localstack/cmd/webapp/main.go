// Command webapp serves the demo's browser page (package webapp) over HTTPS
// until it is stopped, as the origin https://app.portico.local that the
// demo's CORS policy allows:
//
//	webapp -listen 127.0.0.1:18443 -api https://localhost:4566/_aws/execute-api/<id>/v1 \
//	  -key .portico/keys/demo.pem -kid portico-demo-1 -iss https://portico.local -aud portico \
//	  -ca-cert .portico/tls/ca.pem -ca-key .portico/tls/ca-key.pem
//
// It mints the page's tokens (a valid one and an expired one) with the demo
// key, and its certificate for app.portico.local with the local CA. A browser
// reaches it when app.portico.local resolves to the listen address on port
// 443, for example: chromium --host-resolver-rules="MAP app.portico.local:443
// 127.0.0.1:18443" https://app.portico.local/ (trust the local CA, or add
// --ignore-certificate-errors for a throwaway profile).
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/portico-gw/portico/localstack/devtoken"
	"github.com/portico-gw/portico/localstack/webapp"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:18443", "address to serve the page on")
	api := fs.String("api", "", "the stage's invoke URL (required)")
	key := fs.String("key", "", "PEM private key that signs the demo tokens (required)")
	kid := fs.String("kid", "portico-demo-1", "key id of the tokens")
	iss := fs.String("iss", "https://portico.local", "issuer of the tokens")
	aud := fs.String("aud", "portico", "audience of the tokens")
	caCert := fs.String("ca-cert", "", "PEM certificate of the local CA that signs the page's certificate (required)")
	caKey := fs.String("ca-key", "", "PEM private key of the local CA (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *api == "" || *key == "" || *caCert == "" || *caKey == "" {
		return errors.New("-api, -key, -ca-cert and -ca-key are required")
	}
	priv, err := os.ReadFile(*key)
	if err != nil {
		return err
	}
	claims := devtoken.Claims{Subject: "user-123", Roles: []string{"admin", "reader"}, Issuer: *iss, Audience: *aud, KeyID: *kid, TTL: 12 * time.Hour}
	token, err := devtoken.Mint(priv, claims)
	if err != nil {
		return err
	}
	claims.TTL = -time.Hour
	expired, err := devtoken.Mint(priv, claims)
	if err != nil {
		return err
	}
	h, err := webapp.Handler(webapp.Config{API: *api, Token: token, ExpiredToken: expired})
	if err != nil {
		return err
	}
	u, _ := url.Parse(webapp.Origin)
	cert, err := issue(*caCert, *caKey, u.Hostname())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	fmt.Printf("webapp: %s/ served on %s\n", webapp.Origin, ln.Addr())
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// issue makes a server certificate for host, signed by the CA in caCert and
// caKey (the local CA of make tls).
func issue(caCert, caKey, host string) (tls.Certificate, error) {
	ca, err := tls.LoadX509KeyPair(caCert, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("local CA: %w", err)
	}
	caX509, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		return tls.Certificate{}, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(30 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caX509, &k.PublicKey, ca.PrivateKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
}
