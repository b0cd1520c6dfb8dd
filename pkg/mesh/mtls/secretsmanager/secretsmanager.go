// Package secretsmanager is the AWS Secrets Manager adapter of package
// mesh/mtls: Source reads a service's certificate, key and CA bundle from one
// secret, whose value is the JSON Document {"cert", "key", "ca_bundle"} that
// the Terraform provider's portico_mesh_certificate writes.
//
// Given to mtls.Config as its Source, the secret is read again once per
// ReloadInterval (on a handshake, so an idle function does no work): a new
// certificate or CA bundle written to the secret is used by the next
// handshakes of clients and servers alike, without a restart, and material
// that does not parse leaves the current one in use.
//
//	client := awssm.NewFromConfig(cfg) // github.com/aws/aws-sdk-go-v2/service/secretsmanager
//	src, err := secretsmanager.New(client, "portico/mesh/payment")
//	creds, err := mtls.New(ctx, mtls.Config{Source: src, ReloadInterval: time.Minute})
package secretsmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/portico-gw/portico/pkg/mesh/mtls"
)

// API is the part of the Secrets Manager client that Source uses.
type API interface {
	GetSecretValue(ctx context.Context, in *sm.GetSecretValueInput, opts ...func(*sm.Options)) (*sm.GetSecretValueOutput, error)
}

// Document is the JSON value of a mesh secret. A service's secret holds its
// certificate chain (leaf first), its private key and the CA bundle; a mesh
// CA's secret holds the CA certificate, the CA key and the bundle that
// services should trust (the current CA, and the previous one during a
// rotation).
type Document struct {
	// Cert is the PEM certificate (chain).
	Cert string `json:"cert"`
	// Key is the PEM PKCS #8 private key of Cert.
	Key string `json:"key"`
	// CABundle holds the PEM CA certificates peers must chain to.
	CABundle string `json:"ca_bundle"`
}

// Encode returns the secret value that holds m.
func Encode(m mtls.Material) (string, error) {
	b, err := json.Marshal(Document{Cert: string(m.CertPEM), Key: string(m.KeyPEM), CABundle: string(m.CAPEM)})
	if err != nil {
		return "", fmt.Errorf("secretsmanager: encode: %w", err)
	}
	return string(b), nil
}

// Decode returns the Material of a secret value written by Encode. It fails,
// wrapping mtls.ErrMaterial, when the value is not such a document or lacks
// the certificate or the key; the certificates themselves are checked by
// their user (mtls.New, mtls.ParseCA).
func Decode(value string) (mtls.Material, error) {
	var d Document
	if err := json.Unmarshal([]byte(value), &d); err != nil {
		return mtls.Material{}, fmt.Errorf("%w: secret is not a JSON {cert, key, ca_bundle} document: %w", mtls.ErrMaterial, err)
	}
	if d.Cert == "" || d.Key == "" {
		return mtls.Material{}, fmt.Errorf("%w: secret lacks cert or key", mtls.ErrMaterial)
	}
	return mtls.Material{CertPEM: []byte(d.Cert), KeyPEM: []byte(d.Key), CAPEM: []byte(d.CABundle)}, nil
}

// Source reads Material from the current version of one secret. It makes one
// GetSecretValue call per Load; mtls.Credentials calls Load at most once per
// ReloadInterval.
type Source struct {
	api    API
	secret string
}

var _ mtls.Source = (*Source)(nil)

// New returns a Source for secret (its name or ARN).
func New(api API, secret string) (*Source, error) {
	if api == nil {
		return nil, errors.New("secretsmanager: API client is required")
	}
	if secret == "" {
		return nil, errors.New("secretsmanager: secret name is required")
	}
	return &Source{api: api, secret: secret}, nil
}

// Load reads the secret's current value and decodes it.
func (s *Source) Load(ctx context.Context) (mtls.Material, error) {
	out, err := s.api.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(s.secret)})
	if err != nil {
		// Do not leak SDK error types out of pkg/: keep only the message.
		return mtls.Material{}, fmt.Errorf("secretsmanager: get secret %s: %s", s.secret, err.Error())
	}
	if out.SecretString == nil {
		return mtls.Material{}, fmt.Errorf("%w: secret %s has no string value", mtls.ErrMaterial, s.secret)
	}
	m, err := Decode(*out.SecretString)
	if err != nil {
		return mtls.Material{}, fmt.Errorf("secretsmanager: secret %s: %w", s.secret, err)
	}
	return m, nil
}
