package mtls

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newCA(t *testing.T) *CA {
	t.Helper()
	ca, err := NewCA("", t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// issue returns material for service valid around t0.
func issue(t *testing.T, ca *CA, service string) Material {
	t.Helper()
	return issueFor(t, ca, service, t0.Add(-time.Hour), t0.Add(24*time.Hour))
}

func issueFor(t *testing.T, ca *CA, service string, from, to time.Time) Material {
	t.Helper()
	m, err := ca.Issue(service, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// bundle returns m with the CA bundle replaced by the given CAs.
func bundle(m Material, cas ...*CA) Material {
	m.CAPEM = nil
	for _, ca := range cas {
		m.CAPEM = append(m.CAPEM, ca.CertPEM...)
	}
	return m
}

func creds(t *testing.T, src Source, clock Clock, expect func(string) []string) *Credentials {
	t.Helper()
	c, err := New(context.Background(), Config{Source: src, Clock: clock, Expect: expect, ReloadInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func memory(m Material) *Memory {
	s := &Memory{}
	s.Set(m)
	return s
}

// result is the outcome of one handshake on both sides.
type result struct {
	clientErr, serverErr error
	peer                 string // the client identity the server saw
	serverPeer           string // the server identity the client saw
}

// handshake makes one real TLS connection over loopback between a client
// with cfgClient and a server with cfgServer, and reports both sides.
func handshake(t *testing.T, cfgClient, cfgServer *tls.Config) result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type out struct {
		err  error
		peer string
	}
	done := make(chan out, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- out{err: err}
			return
		}
		defer conn.Close()
		tc := tls.Server(conn, cfgServer)
		err = tc.Handshake()
		if err == nil {
			// Read the client's byte: in TLS 1.3 the server checks the
			// client's certificate after the client considers itself done.
			buf := make([]byte, 1)
			_, err = tc.Read(buf)
		}
		st := tc.ConnectionState()
		done <- out{err: err, peer: PeerIdentity(&st)}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc := tls.Client(conn, cfgClient)
	var r result
	r.clientErr = tc.Handshake()
	if r.clientErr == nil {
		st := tc.ConnectionState()
		r.serverPeer = PeerIdentity(&st)
		_, r.clientErr = tc.Write([]byte{1})
	}
	o := <-done
	r.serverErr, r.peer = o.err, o.peer
	return r
}

func TestMutualTLS(t *testing.T) {
	ca := newCA(t)
	clock := &fakeClock{now: t0}
	order := creds(t, memory(issue(t, ca, "order")), clock, nil)
	payment := creds(t, memory(issue(t, ca, "payment")), clock, nil)
	r := handshake(t, order.ClientConfig("payment"), payment.ServerConfig("order"))
	if r.clientErr != nil || r.serverErr != nil {
		t.Fatalf("got client %v, server %v; want a handshake", r.clientErr, r.serverErr)
	}
	if r.peer != "spiffe://portico/order" || r.serverPeer != "spiffe://portico/payment" {
		t.Fatalf("got peers %q (seen by the server) and %q (seen by the client), want spiffe://portico/order and spiffe://portico/payment", r.peer, r.serverPeer)
	}
	if got := order.Identity(); got != "spiffe://portico/order" {
		t.Fatalf("got own identity %q, want spiffe://portico/order", got)
	}
}

// Untrusted, expired, not yet valid and wrong-identity peers are refused, on
// both sides, with an error that says which.
func TestRefusedPeers(t *testing.T) {
	ca, rogue := newCA(t), newCA(t)
	clock := &fakeClock{now: t0}
	good := func(service string) *Credentials { return creds(t, memory(issue(t, ca, service)), clock, nil) }
	withCert := func(m Material) *Credentials { return creds(t, memory(bundle(m, ca)), clock, nil) }
	expired := issueFor(t, ca, "payment", t0.Add(-48*time.Hour), t0.Add(-time.Second))
	future := issueFor(t, ca, "payment", t0.Add(time.Hour), t0.Add(48*time.Hour))
	tests := []struct {
		name           string
		client, server *Credentials
		allow          []string // services the server accepts
		wantSide       string   // "client" or "server": who refuses
		want           error
		wantText       string
	}{
		{"server from an untrusted CA", good("order"), withCert(issue(t, rogue, "payment")), []string{"order"}, "client", ErrUntrusted, "unknown authority"},
		{"server certificate expired", good("order"), withCert(expired), []string{"order"}, "client", ErrUntrusted, "expired"},
		{"server certificate not yet valid", good("order"), withCert(future), []string{"order"}, "client", ErrUntrusted, "not yet valid"},
		{"server is another service", good("order"), good("fraud"), []string{"order"}, "client", ErrIdentity, "spiffe://portico/fraud"},
		{"client from an untrusted CA", withCert(issue(t, rogue, "order")), good("payment"), []string{"order"}, "server", ErrUntrusted, "unknown authority"},
		{"client certificate expired", withCert(issueFor(t, ca, "order", t0.Add(-48*time.Hour), t0.Add(-time.Second))), good("payment"), []string{"order"}, "server", ErrUntrusted, "expired"},
		{"client not allowed", good("bank"), good("payment"), []string{"order"}, "server", ErrIdentity, "spiffe://portico/bank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := handshake(t, tt.client.ClientConfig("payment"), tt.server.ServerConfig(tt.allow...))
			err := r.clientErr
			if tt.wantSide == "server" {
				err = r.serverErr
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("got %s error %v, want one wrapping %v and mentioning %q (client %v, server %v)", tt.wantSide, err, tt.want, tt.wantText, r.clientErr, r.serverErr)
			}
			var idErr *IdentityError
			if tt.want == ErrIdentity && (!errors.As(err, &idErr) || len(idErr.Want) == 0) {
				t.Fatalf("got %v, want an *IdentityError with the expected identities", err)
			}
		})
	}
}

// A client without a certificate is refused.
func TestClientWithoutCertificate(t *testing.T) {
	ca := newCA(t)
	clock := &fakeClock{now: t0}
	payment := creds(t, memory(issue(t, ca, "payment")), clock, nil)
	r := handshake(t, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}, payment.ServerConfig())
	if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "certificate") {
		t.Fatalf("got server error %v, want a refusal for the missing certificate", r.serverErr)
	}
}

// Expect can name DNS identities instead of SPIFFE IDs.
func TestDNSIdentity(t *testing.T) {
	ca := newCA(t)
	clock := &fakeClock{now: t0}
	payment := creds(t, memory(issue(t, ca, "payment")), clock, nil)
	for _, tt := range []struct {
		dns  string
		want error
	}{{"payment", nil}, {"payment.internal", ErrIdentity}} {
		order := creds(t, memory(issue(t, ca, "order")), clock, func(string) []string { return []string{tt.dns} })
		r := handshake(t, order.ClientConfig("payment"), payment.ServerConfig())
		if !errors.Is(r.clientErr, tt.want) || (tt.want == nil && r.clientErr != nil) {
			t.Fatalf("expecting DNS %s: got %v, want %v", tt.dns, r.clientErr, tt.want)
		}
	}
}

func writeMaterial(t *testing.T, dir string, m Material) Files {
	t.Helper()
	f := Files{Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem"), CA: filepath.Join(dir, "ca.pem")}
	for path, b := range map[string][]byte{f.Cert: m.CertPEM, f.Key: m.KeyPEM, f.CA: m.CAPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// Rotation without restart: the client certificate (from files) and then the
// CA (old and new CA in the bundle, new certificates, old CA removed) change
// mid-run, and each new handshake uses the material current at that moment.
// Unusable material is refused and the current one kept.
func TestRotation(t *testing.T) {
	ca1, ca2 := newCA(t), newCA(t)
	clock := &fakeClock{now: t0}
	dir := t.TempDir()
	first := issue(t, ca1, "order")
	files := writeMaterial(t, dir, first)
	order := creds(t, files, clock, nil)
	serverSrc := memory(issue(t, ca1, "payment"))
	payment := creds(t, serverSrc, clock, nil)
	clientCfg, serverCfg := order.ClientConfig("payment"), payment.ServerConfig("order")

	serialSeen := func(step string) string {
		t.Helper()
		var seen string
		cfg := serverCfg.Clone()
		get := cfg.GetConfigForClient
		cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := get(h)
			verify := c.VerifyConnection
			c.VerifyConnection = func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) > 0 {
					seen = cs.PeerCertificates[0].SerialNumber.String()
				}
				return verify(cs)
			}
			return c, err
		}
		r := handshake(t, clientCfg, cfg)
		if r.clientErr != nil || r.serverErr != nil {
			t.Fatalf("%s: got client %v, server %v; want a handshake", step, r.clientErr, r.serverErr)
		}
		return seen
	}
	serialOf := func(m Material) string {
		st, err := parse(m)
		if err != nil {
			t.Fatal(err)
		}
		return st.cert.Leaf.SerialNumber.String()
	}

	if got, want := serialSeen("start"), serialOf(first); got != want {
		t.Fatalf("start: server saw serial %s, want %s", got, want)
	}
	// 1. New client certificate, same CA, written to the files.
	second := issue(t, ca1, "order")
	writeMaterial(t, dir, second)
	clock.Advance(59 * time.Second)
	if got, want := serialSeen("before the reload interval"), serialOf(first); got != want {
		t.Fatalf("59 s after the write: server saw serial %s, want the first %s (reload every minute)", got, want)
	}
	clock.Advance(2 * time.Second)
	if got, want := serialSeen("after the reload interval"), serialOf(second); got != want {
		t.Fatalf("61 s after the write: server saw serial %s, want the new %s", got, want)
	}
	// 2. Half-written files (a key that does not match): refused, the
	// current certificate stays in use.
	broken := second
	broken.KeyPEM = issue(t, ca1, "order").KeyPEM
	writeMaterial(t, dir, broken)
	if err := order.Reload(context.Background()); !errors.Is(err, ErrMaterial) {
		t.Fatalf("reload of a mismatched key: got %v, want ErrMaterial", err)
	}
	if got, want := serialSeen("after a failed reload"), serialOf(second); got != want {
		t.Fatalf("after a failed reload: server saw serial %s, want %s", got, want)
	}
	// 3. CA rotation. Both trust both CAs; the client moves to a
	// certificate from the new CA while the server still has the old one.
	third := bundle(issue(t, ca2, "order"), ca1, ca2)
	writeMaterial(t, dir, third)
	serverSrc.Set(bundle(issue(t, ca1, "payment"), ca1, ca2))
	for _, c := range []*Credentials{order, payment} {
		if err := c.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := serialSeen("both CAs trusted"), serialOf(third); got != want {
		t.Fatalf("during the CA rotation: server saw serial %s, want %s", got, want)
	}
	// 4. The server moves to the new CA only; the client certificate from
	// the new CA still works, and one from the old CA is refused.
	serverSrc.Set(bundle(issue(t, ca2, "payment"), ca2))
	if err := payment.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	serialSeen("new CA only")
	stale := creds(t, memory(bundle(issue(t, ca1, "order"), ca1, ca2)), clock, nil)
	r := handshake(t, stale.ClientConfig("payment"), serverCfg)
	if !errors.Is(r.serverErr, ErrUntrusted) {
		t.Fatalf("client certificate from the removed CA: got server error %v, want ErrUntrusted", r.serverErr)
	}
}

func TestNewErrors(t *testing.T) {
	ca := newCA(t)
	good := issue(t, ca, "order")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no source", Config{}, "Source is required"},
		{"bad trust domain", Config{Source: memory(good), TrustDomain: "spiffe://x"}, "bare name"},
		{"nothing in memory", Config{Source: &Memory{}}, "nothing set in memory"},
		{"missing file", Config{Source: Files{Cert: "/nonexistent/cert.pem"}}, "no such file"},
		{"empty CA bundle", Config{Source: memory(Material{CertPEM: good.CertPEM, KeyPEM: good.KeyPEM, CAPEM: []byte("not PEM")})}, "CA bundle holds no certificate"},
		{"key mismatch", Config{Source: memory(Material{CertPEM: good.CertPEM, KeyPEM: issue(t, ca, "x").KeyPEM, CAPEM: good.CAPEM})}, "certificate and key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
