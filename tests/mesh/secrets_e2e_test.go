//go:build e2e

package mesh

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
	"github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// reloadEvery is the Credentials' reload interval in this test; its clock
// is a manualClock, so a reload happens exactly when the test advances it.
const reloadEvery = time.Minute

// manualClock is a clock the test advances.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// staticInstances is a Discoverer with fixed instances.
type staticInstances map[string][]mesh.Instance

func (s staticInstances) Discover(_ context.Context, service string) ([]mesh.Instance, error) {
	return s[service], nil
}

// syncBuffer collects an http.Server's error log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// await returns the log once it contains want, or what it holds after
// within. The server logs a refused handshake in its own goroutine, which
// can run after the client has already seen the alert and returned.
func (b *syncBuffer) await(want string, within time.Duration) string {
	deadline := time.Now().Add(within)
	for {
		log := b.String()
		if strings.Contains(log, want) || time.Now().After(deadline) {
			return log
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// secretStore writes mesh secrets in the emulator's Secrets Manager, as
// portico_mesh_ca and portico_mesh_certificate do, and deletes them when the
// test ends.
type secretStore struct {
	t      *testing.T
	api    *awssm.Client
	prefix string
}

func (s *secretStore) name(what string) string { return s.prefix + "/" + what }

// put writes m as the current value of secret what, creating it first.
func (s *secretStore) put(what string, m mtls.Material) {
	s.t.Helper()
	ctx := context.Background()
	value, err := secretsmanager.Encode(m)
	if err != nil {
		s.t.Fatal(err)
	}
	name := s.name(what)
	_, err = s.api.PutSecretValue(ctx, &awssm.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	if err == nil {
		return
	}
	if _, cerr := s.api.CreateSecret(ctx, &awssm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); cerr != nil {
		s.t.Fatalf("write secret %s: %v; create: %v", name, err, cerr)
	}
	s.t.Cleanup(func() {
		_, err := s.api.DeleteSecret(context.Background(), &awssm.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
		if err != nil {
			s.t.Errorf("clean up secret %s: %v", name, err)
		}
	})
}

// putCA writes a CA secret: the CA, its key and the bundle of bundle's CAs.
func (s *secretStore) putCA(ca *mtls.CA, bundle ...*mtls.CA) {
	s.t.Helper()
	key, err := ca.KeyPEM()
	if err != nil {
		s.t.Fatal(err)
	}
	s.put("ca", mtls.Material{CertPEM: ca.CertPEM, KeyPEM: key, CAPEM: pemBundle(bundle...)})
}

// issue reads the CA from its secret, as portico_mesh_certificate does,
// issues service's certificate with the CA secret's bundle and writes it to
// the service's secret. It returns the certificate's serial.
func (s *secretStore) issue(service string) string {
	s.t.Helper()
	out, err := s.api.GetSecretValue(context.Background(), &awssm.GetSecretValueInput{SecretId: aws.String(s.name("ca"))})
	if err != nil {
		s.t.Fatal(err)
	}
	doc, err := secretsmanager.Decode(aws.ToString(out.SecretString))
	if err != nil {
		s.t.Fatal(err)
	}
	ca, err := mtls.ParseCA(doc.CertPEM, doc.KeyPEM)
	if err != nil {
		s.t.Fatal(err)
	}
	now := time.Now()
	m, err := ca.Issue(service, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		s.t.Fatal(err)
	}
	m.CAPEM = doc.CAPEM
	s.put(service, m)
	return serial(s.t, m.CertPEM)
}

// setBundle rewrites service's secret with the same certificate and key and
// the CA secret's current bundle.
func (s *secretStore) setBundle(service string) {
	s.t.Helper()
	get := func(what string) mtls.Material {
		out, err := s.api.GetSecretValue(context.Background(), &awssm.GetSecretValueInput{SecretId: aws.String(s.name(what))})
		if err != nil {
			s.t.Fatal(err)
		}
		m, err := secretsmanager.Decode(aws.ToString(out.SecretString))
		if err != nil {
			s.t.Fatal(err)
		}
		return m
	}
	m := get(service)
	m.CAPEM = get("ca").CAPEM
	s.put(service, m)
}

func pemBundle(cas ...*mtls.CA) []byte {
	var b []byte
	for _, ca := range cas {
		b = append(b, ca.CertPEM...)
	}
	return b
}

// serial is the serial number of the first certificate in certPEM.
func serial(t *testing.T, certPEM []byte) string {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.String()
}

// secretCredentials are mtls.Credentials reading service's secret.
func secretCredentials(t *testing.T, store *secretStore, service string, clock mtls.Clock) *mtls.Credentials {
	t.Helper()
	src, err := secretsmanager.New(store.api, store.name(service))
	if err != nil {
		t.Fatal(err)
	}
	c, err := mtls.New(context.Background(), mtls.Config{Source: src, Clock: clock, ReloadInterval: reloadEvery})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// charge is what the payment test server answers: who called, with which
// certificate.
type charge struct {
	Caller       string `json:"caller"`
	CallerSerial string `json:"callerSerial"`
}

// serve starts an HTTPS server for creds that requires a client certificate
// of "order", closes every connection after its response (so each call is a
// new handshake), and logs refused handshakes to errs.
func serve(t *testing.T, creds *mtls.Credentials, errs *syncBuffer) mesh.Instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		TLSConfig: creds.ServerConfig("order"),
		ErrorLog:  log.New(errs, "", 0),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			json.NewEncoder(w).Encode(charge{Caller: mtls.PeerIdentity(r.TLS), CallerSerial: r.TLS.PeerCertificates[0].SerialNumber.String()})
		}),
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	return mesh.Instance{ID: "payment-1", Address: addr.IP.String(), Port: addr.Port}
}

// meshClient is a mesh client that reaches payment at inst with creds, and
// does not retry (a refused handshake is reported at once).
func meshClient(t *testing.T, inst mesh.Instance, creds *mtls.Credentials) *http.Client {
	t.Helper()
	c, err := mesh.New(mesh.Config{
		Discoverer: staticInstances{"payment": {inst}},
		TLS:        creds,
		Policy:     mesh.Policy{Retry: mesh.Retry{Attempts: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.HTTPClient()
}

// call charges through client and returns the server certificate's serial
// and the server's answer.
func call(client *http.Client) (string, charge, error) {
	resp, err := client.Get("http://payment/charge")
	if err != nil {
		return "", charge{}, err
	}
	defer resp.Body.Close()
	var c charge
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return "", charge{}, err
	}
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
		return "", c, errors.New("got a response without TLS")
	}
	return resp.TLS.PeerCertificates[0].SerialNumber.String(), c, nil
}

// Order calls payment through the mesh client over mutual TLS, both with
// credentials read from Secrets Manager; certificates and then the CA are
// rotated by writing the secrets, and the next handshakes after the reload
// interval use the new material, on the same server and client. Peers with
// certificates from another CA are refused on both sides.
func TestMTLSFromSecretsManager(t *testing.T) {
	endpoint := os.Getenv("PORTICO_ENDPOINT")
	if endpoint == "" {
		t.Fatal("PORTICO_ENDPOINT is not set (run the tests with make test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Endpoint: endpoint, CABundle: os.Getenv("PORTICO_CA_CERT")})
	if err != nil {
		t.Fatal(err)
	}
	store := &secretStore{t: t, api: awssm.NewFromConfig(cfg), prefix: fmt.Sprintf("e2e-mesh-tls-%d", time.Now().UnixNano())}

	now := time.Now()
	ca1, err := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	store.putCA(ca1, ca1)
	paymentSerial, orderSerial := store.issue("payment"), store.issue("order")

	clock := &manualClock{now: now}
	payment := secretCredentials(t, store, "payment", clock)
	order := secretCredentials(t, store, "order", clock)
	errs := &syncBuffer{}
	inst := serve(t, payment, errs)
	client := meshClient(t, inst, order)

	check := func(step, wantServer, wantClient string) {
		t.Helper()
		server, got, err := call(client)
		if err != nil {
			t.Fatalf("%s: %v (server log: %s)", step, err, errs.String())
		}
		if server != wantServer || got.CallerSerial != wantClient || got.Caller != "spiffe://portico/order" {
			t.Fatalf("%s: got server certificate %s, client %s (%s); want %s and %s (spiffe://portico/order)", step, server, got.CallerSerial, got.Caller, wantServer, wantClient)
		}
	}
	check("first call", paymentSerial, orderSerial)

	// Certificate rotation: new certificates in both secrets.
	newPayment, newOrder := store.issue("payment"), store.issue("order")
	check("rotated in Secrets Manager, before the reload interval", paymentSerial, orderSerial)
	clock.Advance(reloadEvery + time.Second)
	check("after the reload interval", newPayment, newOrder)

	// CA rotation: the CA secret gets ca2 with the bundle ca2 + ca1; order
	// takes the new bundle with its ca1 certificate while payment already
	// has a ca2 certificate: both trust each other during the overlap.
	ca2, err := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	store.putCA(ca2, ca2, ca1)
	store.setBundle("order")
	ca2Payment := store.issue("payment")
	clock.Advance(reloadEvery + time.Second)
	check("CA overlap: payment on ca2, order on ca1", ca2Payment, newOrder)
	ca2Order := store.issue("order")
	clock.Advance(reloadEvery + time.Second)
	check("both on ca2", ca2Payment, ca2Order)

	// Untrusted peers: a client and a server with "order" and "payment"
	// certificates from a CA in no bundle.
	rogueCA, err := mtls.NewCA("portico", now.Add(-time.Hour), now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rogue := func(service string) *mtls.Credentials {
		m, err := rogueCA.Issue(service, now.Add(-time.Hour), now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		m.CAPEM = pemBundle(rogueCA, ca2, ca1) // it trusts the mesh; the mesh does not trust it
		src := &mtls.Memory{}
		src.Set(m)
		c, err := mtls.New(context.Background(), mtls.Config{Source: src, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, got, err := call(meshClient(t, inst, rogue("order"))); err == nil {
		t.Fatalf("rogue client: got an answer %+v, want the handshake refused", got)
	}
	if log := errs.await(mtls.ErrUntrusted.Error(), 5*time.Second); !strings.Contains(log, mtls.ErrUntrusted.Error()) {
		t.Fatalf("rogue client: got server log %q, want a handshake refused as %q", log, mtls.ErrUntrusted)
	}
	rogueServer := serve(t, rogue("payment"), &syncBuffer{})
	if _, got, err := call(meshClient(t, rogueServer, order)); !errors.Is(err, mtls.ErrUntrusted) {
		t.Fatalf("rogue server: got %+v, %v; want the order client to refuse it with ErrUntrusted", got, err)
	}
	check("the mesh still works", ca2Payment, ca2Order)
}
