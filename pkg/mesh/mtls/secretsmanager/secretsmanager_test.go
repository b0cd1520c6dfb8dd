package secretsmanager

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeAPI is a Secrets Manager with one value per secret name.
type fakeAPI struct {
	mu     sync.Mutex
	values map[string]string
	err    error // returned by every call when set
	calls  int
}

func (f *fakeAPI) put(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.values == nil {
		f.values = map[string]string{}
	}
	f.values[name] = value
}

func (f *fakeAPI) GetSecretValue(_ context.Context, in *sm.GetSecretValueInput, _ ...func(*sm.Options)) (*sm.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	v, ok := f.values[aws.ToString(in.SecretId)]
	if !ok {
		return nil, errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret")
	}
	return &sm.GetSecretValueOutput{Name: in.SecretId, SecretString: aws.String(v)}, nil
}

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

func newCA(t *testing.T) *mtls.CA {
	t.Helper()
	ca, err := mtls.NewCA("", t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// secretFor issues a certificate for service and returns it as a secret
// value trusting bundle, with the certificate's serial.
func secretFor(t *testing.T, ca *mtls.CA, service string, bundle ...*mtls.CA) (string, string) {
	t.Helper()
	m, err := ca.Issue(service, t0.Add(-time.Hour), t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m.CAPEM = nil
	for _, b := range bundle {
		m.CAPEM = append(m.CAPEM, b.CertPEM...)
	}
	v, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(m.CertPEM, m.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	return v, leaf.SerialNumber.String()
}

func credentials(t *testing.T, api API, secret string, clock mtls.Clock) *mtls.Credentials {
	t.Helper()
	src, err := New(api, secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mtls.New(context.Background(), mtls.Config{Source: src, Clock: clock, ReloadInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// handshake connects a client and a server over loopback TCP and returns
// the serials of the certificates each side saw, or the errors.
func handshake(t *testing.T, client, server *tls.Config) (clientSaw, serverSaw string, err error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type out struct {
		serial string
		err    error
	}
	done := make(chan out, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- out{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second)) // a safety net against a hang, not an assertion
		s := tls.Server(conn, server)
		err = s.Handshake()
		if err == nil {
			// TLS 1.3: the server checks the client's certificate after the
			// client's handshake returns; read its byte to see the outcome.
			_, err = s.Read(make([]byte, 1))
		}
		var serial string
		if st := s.ConnectionState(); len(st.PeerCertificates) > 0 {
			serial = st.PeerCertificates[0].SerialNumber.String()
		}
		done <- out{serial, err}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	c := tls.Client(conn, client)
	cerr := c.Handshake()
	if cerr == nil {
		_, cerr = c.Write([]byte{1})
		clientSaw = c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	o := <-done
	return clientSaw, o.serial, errors.Join(cerr, o.err)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, value string
		wantErr     bool
	}{
		{"complete", `{"cert":"C","key":"K","ca_bundle":"B"}`, false},
		{"no bundle", `{"cert":"C","key":"K"}`, false},
		{"not JSON", `-----BEGIN CERTIFICATE-----`, true},
		{"no key", `{"cert":"C","ca_bundle":"B"}`, true},
		{"no cert", `{"key":"K","ca_bundle":"B"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.value)
			if tt.wantErr {
				if !errors.Is(err, mtls.ErrMaterial) {
					t.Fatalf("got %v, want ErrMaterial", err)
				}
				return
			}
			if err != nil || string(m.CertPEM) != "C" || string(m.KeyPEM) != "K" {
				t.Fatalf("got %q, %q, %v; want C, K, no error", m.CertPEM, m.KeyPEM, err)
			}
		})
	}
	m := mtls.Material{CertPEM: []byte("cert\n"), KeyPEM: []byte("key\n"), CAPEM: []byte("ca1\nca2\n")}
	v, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(v)
	if err != nil || string(back.CertPEM) != "cert\n" || string(back.KeyPEM) != "key\n" || string(back.CAPEM) != "ca1\nca2\n" {
		t.Fatalf("Decode(Encode(m)) = %+v, %v; want m", back, err)
	}
}

func TestLoadErrors(t *testing.T) {
	api := &fakeAPI{}
	api.put("binary", "")
	tests := []struct {
		name     string
		api      *fakeAPI
		secret   string
		want     string
		material bool // the error wraps mtls.ErrMaterial
	}{
		{"missing", api, "nope", "get secret nope: ResourceNotFoundException", false},
		{"service down", &fakeAPI{err: errors.New("dial tcp: connection refused")}, "x", "connection refused", false},
		{"not a document", api, "binary", "secret binary", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := New(tt.api, tt.secret)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Load(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, mtls.ErrMaterial) != tt.material {
				t.Fatalf("got %v, want an error containing %q (ErrMaterial: %v)", err, tt.want, tt.material)
			}
		})
	}
	if _, err := New(nil, "x"); err == nil {
		t.Error("New(nil, x): got no error, want one")
	}
	if _, err := New(api, ""); err == nil {
		t.Error(`New(api, ""): got no error, want one`)
	}
}

// A certificate written to the secret is used by the next handshake after the
// reload interval, on both sides and without new Credentials; before the
// interval the current one stays, and the secret is read once per interval
// whatever the number of handshakes.
func TestRotationFromSecret(t *testing.T) {
	ca := newCA(t)
	api := &fakeAPI{}
	order1, orderSerial1 := secretFor(t, ca, "order", ca)
	payment1, paymentSerial1 := secretFor(t, ca, "payment", ca)
	api.put("mesh/order", order1)
	api.put("mesh/payment", payment1)
	clock := &fakeClock{now: t0}
	order := credentials(t, api, "mesh/order", clock)
	payment := credentials(t, api, "mesh/payment", clock)

	check := func(step, wantPayment, wantOrder string) {
		t.Helper()
		sawPayment, sawOrder, err := handshake(t, order.ClientConfig("payment"), payment.ServerConfig("order"))
		if err != nil {
			t.Fatalf("%s: handshake: %v", step, err)
		}
		if sawPayment != wantPayment || sawOrder != wantOrder {
			t.Fatalf("%s: got server certificate %s and client certificate %s, want %s and %s", step, sawPayment, sawOrder, wantPayment, wantOrder)
		}
	}
	check("before rotation", paymentSerial1, orderSerial1)

	order2, orderSerial2 := secretFor(t, ca, "order", ca)
	payment2, paymentSerial2 := secretFor(t, ca, "payment", ca)
	api.put("mesh/order", order2)
	api.put("mesh/payment", payment2)
	calls := api.calls
	clock.Advance(30 * time.Second)
	check("within the interval", paymentSerial1, orderSerial1)
	check("within the interval, again", paymentSerial1, orderSerial1)
	if api.calls != calls {
		t.Fatalf("got %d secret reads within the interval, want none", api.calls-calls)
	}
	clock.Advance(31 * time.Second)
	check("after the interval", paymentSerial2, orderSerial2)
	if got := api.calls - calls; got != 2 {
		t.Fatalf("got %d secret reads after the interval, want 2 (one per side)", got)
	}
}

// The CA rotates: the server moves to a certificate of the new CA while the
// client still has one of the old CA; with both CAs in the bundles both
// sides accept each other. A secret that becomes unreadable or unusable
// leaves the current material in use.
func TestCARotationAndBadSecret(t *testing.T) {
	oldCA, newCA := newCA(t), newCA(t)
	api := &fakeAPI{}
	orderSecret, orderSerial := secretFor(t, oldCA, "order", oldCA)
	paymentSecret, _ := secretFor(t, oldCA, "payment", oldCA)
	api.put("mesh/order", orderSecret)
	api.put("mesh/payment", paymentSecret)
	clock := &fakeClock{now: t0}
	order := credentials(t, api, "mesh/order", clock)
	payment := credentials(t, api, "mesh/payment", clock)

	// Phase 1: every bundle trusts both CAs.
	orderSecret, orderSerial = secretFor(t, oldCA, "order", newCA, oldCA)
	api.put("mesh/order", orderSecret)
	paymentSecret, _ = secretFor(t, oldCA, "payment", newCA, oldCA)
	api.put("mesh/payment", paymentSecret)
	clock.Advance(2 * time.Minute)
	if _, _, err := handshake(t, order.ClientConfig("payment"), payment.ServerConfig("order")); err != nil {
		t.Fatalf("phase 1: %v", err)
	}
	// Phase 2: payment has a certificate of the new CA, order not yet.
	paymentSecret, paymentSerial := secretFor(t, newCA, "payment", newCA, oldCA)
	api.put("mesh/payment", paymentSecret)
	clock.Advance(2 * time.Minute)
	sawPayment, sawOrder, err := handshake(t, order.ClientConfig("payment"), payment.ServerConfig("order"))
	if err != nil || sawPayment != paymentSerial || sawOrder != orderSerial {
		t.Fatalf("phase 2: got %s, %s, %v; want payment %s (new CA) and order %s (old CA)", sawPayment, sawOrder, err, paymentSerial, orderSerial)
	}

	// The secret is replaced by garbage, then unreadable: payment keeps
	// serving the certificate it has.
	for _, breakIt := range []func(){
		func() { api.put("mesh/payment", `{"cert":"x","key":"y","ca_bundle":"z"}`) },
		func() { api.err = errors.New("throttled") },
	} {
		breakIt()
		clock.Advance(2 * time.Minute)
		sawPayment, _, err := handshake(t, order.ClientConfig("payment"), payment.ServerConfig("order"))
		if err != nil || sawPayment != paymentSerial {
			t.Fatalf("bad secret: got %s, %v; want the current certificate %s", sawPayment, err, paymentSerial)
		}
	}
}

// A peer whose certificate comes from a CA in no bundle is refused.
func TestUntrustedPeer(t *testing.T) {
	ca, rogueCA := newCA(t), newCA(t)
	api := &fakeAPI{}
	s, _ := secretFor(t, ca, "payment", ca)
	api.put("mesh/payment", s)
	s, _ = secretFor(t, rogueCA, "order", rogueCA, ca)
	api.put("mesh/rogue", s)
	clock := &fakeClock{now: t0}
	payment := credentials(t, api, "mesh/payment", clock)
	rogue := credentials(t, api, "mesh/rogue", clock)
	_, _, err := handshake(t, rogue.ClientConfig("payment"), payment.ServerConfig("order"))
	if !errors.Is(err, mtls.ErrUntrusted) {
		t.Fatalf("got %v, want the server to refuse the client with ErrUntrusted", err)
	}
}
