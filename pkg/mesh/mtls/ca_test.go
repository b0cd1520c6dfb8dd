package mtls

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// A CA kept as PEM (KeyPEM, CertPEM) and read back with ParseCA issues
// certificates that chain to the original and carry the extra DNS names.
func TestParseCARoundTrip(t *testing.T) {
	ca, err := NewCA("shop", t0.Add(-time.Hour), t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := ca.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCA(ca.CertPEM, keyPEM)
	if err != nil {
		t.Fatalf("ParseCA: got %v, want the CA back", err)
	}
	if back.TrustDomain != "shop" || !back.Cert.Equal(ca.Cert) {
		t.Fatalf("got trust domain %q and certificate %s, want shop and %s", back.TrustDomain, back.Cert.Subject, ca.Cert.Subject)
	}
	m, err := back.Issue("payment", t0.Add(-time.Hour), t0.Add(time.Hour), "payment.internal")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parse(bundle(m, ca))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.cert.Leaf.CheckSignatureFrom(ca.Cert); err != nil {
		t.Fatalf("got a certificate not signed by the original CA: %v", err)
	}
	if want := []string{"payment", "payment.internal"}; !slices.Equal(st.cert.Leaf.DNSNames, want) {
		t.Errorf("got DNS names %v, want %v", st.cert.Leaf.DNSNames, want)
	}
	if st.identity != "spiffe://shop/payment" {
		t.Errorf("got identity %q, want spiffe://shop/payment", st.identity)
	}
}

func TestParseCARefuses(t *testing.T) {
	ca := newCA(t)
	other := newCA(t)
	otherKey, err := other.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	leaf := issue(t, ca, "payment")
	tests := []struct {
		name      string
		cert, key []byte
	}{
		{"not PEM", []byte("nope"), otherKey},
		{"key of another CA", ca.CertPEM, otherKey},
		{"leaf certificate", leaf.CertPEM, leaf.KeyPEM},
		{"no key", ca.CertPEM, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseCA(tt.cert, tt.key); !errors.Is(err, ErrMaterial) {
				t.Fatalf("got %v, want ErrMaterial", err)
			}
		})
	}
}
