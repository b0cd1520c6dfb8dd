package mtls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"time"
)

// CA is a development mesh CA: it issues per-service certificates with the
// identity spiffe://<trust domain>/<service> (and the DNS name <service>),
// valid for both server and client authentication. Keys are ECDSA P-256.
// It is for tests and the local demo; keep production CAs in a PKI.
type CA struct {
	// Cert is the CA certificate.
	Cert *x509.Certificate
	// CertPEM is Cert, PEM encoded: the CA bundle to give services.
	CertPEM []byte
	// TrustDomain is the trust domain of the identities it issues.
	TrustDomain string

	key crypto.Signer
}

// NewCA makes a self-signed CA for trustDomain ("portico" when empty), valid
// from notBefore to notAfter.
func NewCA(trustDomain string, notBefore, notAfter time.Time) (*CA, error) {
	if trustDomain == "" {
		trustDomain = "portico"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mtls: CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: trustDomain + " mesh development CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		URIs:                  []*url.URL{{Scheme: "spiffe", Host: trustDomain}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("mtls: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("mtls: CA certificate: %w", err)
	}
	return &CA{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), TrustDomain: trustDomain, key: key}, nil
}

// Issue returns Material for service: a certificate valid from notBefore to
// notAfter, its key, and the CA as the bundle. The certificate names the
// service by URI (spiffe://<trust domain>/<service>) and by the DNS name
// <service>, followed by any extra dnsNames.
func (ca *CA) Issue(service string, notBefore, notAfter time.Time, dnsNames ...string) (Material, error) {
	if service == "" {
		return Material{}, errors.New("mtls: issue: service name is required")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Material{}, fmt.Errorf("mtls: issue %s: key: %w", service, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: service},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{{Scheme: "spiffe", Host: ca.TrustDomain, Path: "/" + service}},
		DNSNames:     append([]string{service}, dnsNames...),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return Material{}, fmt.Errorf("mtls: issue %s: %w", service, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Material{}, fmt.Errorf("mtls: issue %s: key: %w", service, err)
	}
	return Material{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		CAPEM:   ca.CertPEM,
	}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

// KeyPEM returns the CA's private key, PKCS #8 PEM encoded, for keeping the
// CA in a secret store (ParseCA reads it back).
func (ca *CA) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, fmt.Errorf("mtls: CA key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseCA returns the CA whose certificate and PKCS #8 private key are
// certPEM and keyPEM (as CertPEM and KeyPEM give them), so that it can issue
// again. Its trust domain is the host of the certificate's spiffe URI SAN,
// else "portico". It fails, wrapping ErrMaterial, when the certificate is
// not a CA or the key is not its key.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	certBlock, _ := pem.Decode(certPEM)
	if certBlock == nil || certBlock.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: CA certificate: no PEM CERTIFICATE block", ErrMaterial)
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: CA certificate: %w", ErrMaterial, err)
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("%w: certificate %q is not a CA", ErrMaterial, cert.Subject.CommonName)
	}
	keyBlock, _ := pem.Decode(keyPEM)
	if keyBlock == nil || keyBlock.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: CA key: no PEM PRIVATE KEY block", ErrMaterial)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: CA key: %w", ErrMaterial, err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: CA key: %T cannot sign", ErrMaterial, parsed)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%w: the key is not the key of CA %q", ErrMaterial, cert.Subject.CommonName)
	}
	trustDomain := "portico"
	for _, u := range cert.URIs {
		if u.Scheme == "spiffe" && u.Host != "" {
			trustDomain = u.Host
			break
		}
	}
	return &CA{
		Cert:        cert,
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		TrustDomain: trustDomain,
		key:         key,
	}, nil
}
