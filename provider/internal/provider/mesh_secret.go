package provider

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// secretsAPI is the part of the Secrets Manager client that the mesh CA and
// certificate resources use; *secretsmanager.Client implements it, and the
// unit tests use an in-memory fake at this boundary so that the error
// handling is tested too.
type secretsAPI interface {
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	DeleteSecret(ctx context.Context, in *secretsmanager.DeleteSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
}

var _ secretsAPI = (*secretsmanager.Client)(nil)

// secretNamePattern is Secrets Manager's rule for secret names.
var secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)

// dnsNamePattern accepts lower-case DNS names (mesh service names among them).
var dnsNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)

// Tag keys the mesh resources put on their secrets.
const (
	// tagMeshKind is "ca" or "certificate".
	tagMeshKind = "portico:mesh"
	// tagCASecret is the CA secret a certificate's secret was issued from.
	tagCASecret = "portico:ca-secret"
)

// backdate is how far before now certificates become valid, so that a peer
// whose clock is a little behind accepts a fresh certificate.
const backdate = time.Minute

// errSecretScheduledForDeletion is the Create error for a name that is still
// scheduled for deletion.
var errSecretScheduledForDeletion = errors.New("the secret is scheduled for deletion: restore it (aws secretsmanager restore-secret) and import it, or delete it for good (delete-secret --force-delete-without-recovery)")

// meshSecret is a secret as Read finds it.
type meshSecret struct {
	arn   string
	value string
	tags  map[string]string
}

// readMeshSecret returns the secret named name; ok is false when it does not
// exist or is scheduled for deletion (both mean "gone" to Terraform).
func readMeshSecret(ctx context.Context, api secretsAPI, name string) (s meshSecret, ok bool, err error) {
	d, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if isNotFound(err) {
		return meshSecret{}, false, nil
	}
	if err != nil {
		return meshSecret{}, false, fmt.Errorf("describe secret: %w", err)
	}
	if d.DeletedDate != nil {
		return meshSecret{}, false, nil
	}
	v, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if isNotFound(err) {
		return meshSecret{}, false, nil
	}
	if err != nil {
		return meshSecret{}, false, fmt.Errorf("get secret value: %w", err)
	}
	s = meshSecret{arn: aws.ToString(d.ARN), value: aws.ToString(v.SecretString), tags: map[string]string{}}
	for _, t := range d.Tags {
		s.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return s, true, nil
}

// createMeshSecret creates the secret name holding value, and returns its ARN.
func createMeshSecret(ctx context.Context, api secretsAPI, name, description, value string, tags map[string]string) (string, error) {
	in := &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		Description:  aws.String(description),
		SecretString: aws.String(value),
	}
	for k, v := range tags {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	out, err := api.CreateSecret(ctx, in)
	if err != nil {
		if d, derr := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)}); derr == nil && d.DeletedDate != nil {
			return "", errSecretScheduledForDeletion
		}
		return "", err
	}
	return aws.ToString(out.ARN), nil
}

// putMeshSecret makes value the secret's current version.
func putMeshSecret(ctx context.Context, api secretsAPI, name, value string) error {
	_, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	return err
}

// deleteMeshSecret deletes the secret at once, without a recovery window;
// a secret already gone is not an error.
func deleteMeshSecret(ctx context.Context, api secretsAPI, name string) error {
	_, err := api.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if isNotFound(err) {
		return nil
	}
	return err
}

// secretsFrom is the Secrets Manager client of the provider data, for a
// resource's Configure; nil before the provider is configured.
func secretsFrom(req resource.ConfigureRequest, resp *resource.ConfigureResponse) secretsAPI {
	c := clientsFrom(req.ProviderData, &resp.Diagnostics)
	if c == nil || c.SecretsManager == nil {
		return nil
	}
	return c.SecretsManager
}

// parseCertificates returns the certificates of a PEM bundle, in order,
// skipping other blocks.
func parseCertificates(bundle []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, bundle = pem.Decode(bundle)
		if block == nil {
			return certs, nil
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
}

// encodeCertificate is c as PEM.
func encodeCertificate(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// samePEMCertificate reports whether two PEM texts hold the same first
// certificate, however they are spelt.
func samePEMCertificate(a, b string) bool {
	ca, errA := parseCertificates([]byte(a))
	cb, errB := parseCertificates([]byte(b))
	return errA == nil && errB == nil && len(ca) > 0 && len(cb) > 0 && bytes.Equal(ca[0].Raw, cb[0].Raw)
}

// keepSpelling returns cur when it holds the same certificate as got, so that
// a configured PEM spelt differently does not show as a change; got otherwise.
func keepSpelling(cur types.String, got string) types.String {
	if !cur.IsNull() && !cur.IsUnknown() && samePEMCertificate(cur.ValueString(), got) {
		return cur
	}
	return types.StringValue(got)
}

// validityHours is the validity a certificate was issued with: whole hours
// from NotBefore (backdated) to NotAfter.
func validityHours(c *x509.Certificate) int64 {
	return int64(c.NotAfter.Sub(c.NotBefore) / time.Hour)
}

// renewalDue reports whether a certificate that expires at notAfter (RFC
// 3339) is within renewBefore hours of expiry at now; an unreadable time
// counts as due.
func renewalDue(notAfter string, renewBeforeHours int64, now time.Time) bool {
	t, err := time.Parse(time.RFC3339, notAfter)
	if err != nil {
		return true
	}
	return !now.Add(time.Duration(renewBeforeHours) * time.Hour).Before(t)
}

// formatTime is t as not_after shows it.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
