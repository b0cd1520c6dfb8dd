package provider

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
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
	RestoreSecret(ctx context.Context, in *secretsmanager.RestoreSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error)
	TagResource(ctx context.Context, in *secretsmanager.TagResourceInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error)
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
	// tagCASecret is the CA secret a certificate's secret was issued from
	// (secrets written before the metadata was kept in the value).
	tagCASecret = "portico:ca-secret"
	// tagRecoveryWindow is the recovery window, in days, of a secret the
	// provider created, for Delete after an import.
	tagRecoveryWindow = "portico:recovery-window-days"
)

// defaultRecoveryWindowDays is how long a deleted mesh secret can be
// restored, unless recovery_window_in_days says otherwise.
const defaultRecoveryWindowDays = 7

// meshMetadata is what the provider keeps in a mesh secret's value beside
// the certificate (member "portico", which mtls/secretsmanager ignores): the
// attributes that a certificate cannot tell, so that an import reads back
// the configuration that wrote the secret.
type meshMetadata struct {
	Rotate           *string `json:"rotate,omitempty"`
	RenewBeforeHours int64   `json:"renewBeforeHours"`
	CASecret         string  `json:"caSecret,omitempty"`
}

// withMetadata adds meta to a secret value that mtlssm.Encode wrote.
func withMetadata(value string, meta meshMetadata) (string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(value), &doc); err != nil {
		return "", err
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return "", err
	}
	doc["portico"] = b
	out, err := json.Marshal(doc)
	return string(out), err
}

// metadataOf is the metadata of a secret value; ok is false when it has none.
func metadataOf(value string) (meta meshMetadata, ok bool) {
	var doc struct {
		Portico *meshMetadata `json:"portico"`
	}
	if json.Unmarshal([]byte(value), &doc) != nil || doc.Portico == nil {
		return meshMetadata{}, false
	}
	return *doc.Portico, true
}

// backdate is how far before now certificates become valid, so that a peer
// whose clock is a little behind accepts a fresh certificate.
const backdate = time.Minute

// errSecretScheduledForDeletion is the Create error for a name that is still
// scheduled for deletion.
var errSecretScheduledForDeletion = errors.New("the secret is scheduled for deletion: restore it (aws secretsmanager restore-secret) and import it, or delete it for good (delete-secret --force-delete-without-recovery)")

// meshSecret is a secret as Read finds it.
type meshSecret struct {
	arn string
	// version is the id of the current version (stage AWSCURRENT).
	version string
	// value is the current value; only read when asked for.
	value string
	tags  map[string]string
}

// currentVersion is the id of the version that carries AWSCURRENT.
func currentVersion(stages map[string][]string) string {
	for id, ss := range stages {
		for _, s := range ss {
			if s == "AWSCURRENT" {
				return id
			}
		}
	}
	return ""
}

// describeMeshSecret describes the secret named name without reading its
// value (secretsmanager:DescribeSecret only); ok is false when it does not
// exist or is scheduled for deletion (both mean "gone" to Terraform).
func describeMeshSecret(ctx context.Context, api secretsAPI, name string) (s meshSecret, ok bool, err error) {
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
	s = meshSecret{arn: aws.ToString(d.ARN), version: currentVersion(d.VersionIdsToStages), tags: map[string]string{}}
	for _, t := range d.Tags {
		s.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return s, true, nil
}

// readMeshSecret is describeMeshSecret and the current value.
func readMeshSecret(ctx context.Context, api secretsAPI, name string) (s meshSecret, ok bool, err error) {
	s, ok, err = describeMeshSecret(ctx, api, name)
	if err != nil || !ok {
		return s, ok, err
	}
	v, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if isNotFound(err) {
		return meshSecret{}, false, nil
	}
	if err != nil {
		return meshSecret{}, false, fmt.Errorf("get secret value: %w", err)
	}
	s.value = aws.ToString(v.SecretString)
	if id := aws.ToString(v.VersionId); id != "" {
		s.version = id
	}
	return s, true, nil
}

// newMeshSecret is a secret the provider creates: its name, description and
// tags, and the recovery window its Delete will use.
type newMeshSecret struct {
	name, description string
	tags              map[string]string
	recoveryDays      int64
}

// createMeshSecret creates the secret holding value and returns its ARN and
// version. A secret of that name still scheduled for deletion that the
// provider created for the same purpose (same kind tag) is restored and
// given value as a new version: a resource replaced under the same name
// gets its secret back, with its earlier versions.
func createMeshSecret(ctx context.Context, api secretsAPI, n newMeshSecret, value string) (arn, version string, err error) {
	tags := map[string]string{tagRecoveryWindow: strconv.FormatInt(n.recoveryDays, 10)}
	for k, v := range n.tags {
		tags[k] = v
	}
	in := &secretsmanager.CreateSecretInput{
		Name:         aws.String(n.name),
		Description:  aws.String(n.description),
		SecretString: aws.String(value),
	}
	in.Tags = tagList(tags, func(k, v *string) smtypes.Tag { return smtypes.Tag{Key: k, Value: v} })
	out, err := api.CreateSecret(ctx, in)
	if err == nil {
		return aws.ToString(out.ARN), aws.ToString(out.VersionId), nil
	}
	d, derr := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(n.name)})
	if derr != nil || d.DeletedDate == nil {
		return "", "", err
	}
	kind := ""
	for _, t := range d.Tags {
		if aws.ToString(t.Key) == tagMeshKind {
			kind = aws.ToString(t.Value)
		}
	}
	if kind == "" || kind != n.tags[tagMeshKind] {
		return "", "", errSecretScheduledForDeletion
	}
	tflog.Info(ctx, "restoring the secret scheduled for deletion", map[string]any{"secret": n.name})
	if _, err := api.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(n.name)}); err != nil {
		return "", "", fmt.Errorf("restore secret: %w", err)
	}
	if err := tagMeshSecret(ctx, api, n.name, tags); err != nil {
		return "", "", err
	}
	version, err = putMeshSecret(ctx, api, n.name, value)
	return aws.ToString(d.ARN), version, err
}

// tagMeshSecret sets tags on the secret name.
func tagMeshSecret(ctx context.Context, api secretsAPI, name string, tags map[string]string) error {
	in := &secretsmanager.TagResourceInput{SecretId: aws.String(name)}
	in.Tags = tagList(tags, func(k, v *string) smtypes.Tag { return smtypes.Tag{Key: k, Value: v} })
	if _, err := api.TagResource(ctx, in); err != nil {
		return fmt.Errorf("tag secret: %w", err)
	}
	return nil
}

// putMeshSecret makes value the secret's current version and returns its id.
func putMeshSecret(ctx context.Context, api secretsAPI, name, value string) (string, error) {
	out, err := api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.VersionId), nil
}

// existingMeshSecret checks that the secret name, created by someone else,
// exists and can take versions, and returns its ARN.
func existingMeshSecret(ctx context.Context, api secretsAPI, name string) (string, error) {
	s, ok, err := describeMeshSecret(ctx, api, name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("secret %q does not exist (or is scheduled for deletion): with create_secret = false the secret "+
			"must be created first, for example with aws_secretsmanager_secret", name)
	}
	return s.arn, nil
}

// deleteMeshSecret schedules the secret's deletion after recoveryDays (at
// once when 0); a secret already gone is not an error.
func deleteMeshSecret(ctx context.Context, api secretsAPI, name string, recoveryDays int64) error {
	in := &secretsmanager.DeleteSecretInput{SecretId: aws.String(name)}
	if recoveryDays == 0 {
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	} else {
		in.RecoveryWindowInDays = aws.Int64(recoveryDays)
	}
	_, err := api.DeleteSecret(ctx, in)
	if isNotFound(err) {
		return nil
	}
	return err
}

// recoveryWindowValidator accepts 0 or 7 to 30 days, as Secrets Manager does.
type recoveryWindowValidator struct{}

func (recoveryWindowValidator) Description(context.Context) string {
	return "value must be 0 (delete at once) or 7 to 30 days"
}

func (v recoveryWindowValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v recoveryWindowValidator) ValidateInt64(ctx context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if d := req.ConfigValue.ValueInt64(); d != 0 && (d < 7 || d > 30) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid recovery window", fmt.Sprintf("%s, got %d", v.Description(ctx), d))
	}
}

// recoveryDaysOf is the recovery window a created secret's tags record.
func recoveryDaysOf(tags map[string]string) int64 {
	if d, err := strconv.ParseInt(tags[tagRecoveryWindow], 10, 64); err == nil {
		return d
	}
	return defaultRecoveryWindowDays
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

// writeNewMeshSecret stores the first value of a mesh resource: in a secret
// it creates (create), else as a new version of the existing secret.
func writeNewMeshSecret(ctx context.Context, api secretsAPI, create bool, n newMeshSecret, value string) (arn, version string, err error) {
	if create {
		return createMeshSecret(ctx, api, n, value)
	}
	if arn, err = existingMeshSecret(ctx, api, n.name); err != nil {
		return "", "", err
	}
	version, err = putMeshSecret(ctx, api, n.name, value)
	return arn, version, err
}

// deleteOwnMeshSecret deletes a secret the provider created, with its
// recovery window; a secret it only wrote versions into stays.
func deleteOwnMeshSecret(ctx context.Context, api secretsAPI, name string, created types.Bool, recovery types.Int64) error {
	if !created.IsNull() && !created.ValueBool() {
		tflog.Info(ctx, "leaving the secret created outside this resource in place", map[string]any{"secret": name})
		return nil
	}
	days := int64(defaultRecoveryWindowDays)
	if !recovery.IsNull() && !recovery.IsUnknown() {
		days = recovery.ValueInt64()
	}
	return deleteMeshSecret(ctx, api, name, days)
}

// updateRecoveryWindow records a changed recovery window in the tags of a
// secret the provider created.
func updateRecoveryWindow(ctx context.Context, api secretsAPI, name string, created types.Bool, before, after types.Int64) error {
	if !created.ValueBool() || after.IsUnknown() || after.Equal(before) {
		return nil
	}
	return tagMeshSecret(ctx, api, name, map[string]string{tagRecoveryWindow: strconv.FormatInt(after.ValueInt64(), 10)})
}

// readSecretSettings fills create_secret and recovery_window_in_days from a
// secret's tags where state has none (after an import): a secret carrying
// the provider's kind tag was created by it.
func readSecretSettings(created *types.Bool, recovery *types.Int64, tags map[string]string, kind string) {
	if created.IsNull() || created.IsUnknown() {
		*created = types.BoolValue(tags[tagMeshKind] == kind)
	}
	if recovery.IsNull() || recovery.IsUnknown() {
		days := int64(defaultRecoveryWindowDays)
		if created.ValueBool() {
			days = recoveryDaysOf(tags)
		}
		*recovery = types.Int64Value(days)
	}
}

// checkRecoveryWindow refuses a recovery window for a secret the provider
// does not create (it never deletes one).
func checkRecoveryWindow(created types.Bool, recovery types.Int64, diags *diag.Diagnostics) {
	if !created.IsNull() && !created.IsUnknown() && !created.ValueBool() && !recovery.IsNull() {
		diags.AddAttributeError(path.Root("recovery_window_in_days"), "Recovery window without a secret to delete",
			"With create_secret = false the provider never deletes the secret, so recovery_window_in_days has no effect; remove it.")
	}
}

// secretTags tags a mesh secret, for portico_mesh_ca and
// portico_mesh_certificate.
type secretTags struct {
	// tags tags the secret (nil in the unit tests: no tagging); defaults
	// are the provider's default tags.
	tags     tagger
	defaults map[string]string
}

// secretTagsFrom is the tagging of the provider's Secrets Manager client,
// or none when the provider has no such client.
func secretTagsFrom(req resource.ConfigureRequest) secretTags {
	if c, ok := req.ProviderData.(*Clients); ok && c != nil && c.SecretsManager != nil {
		return secretTags{smTags{c.SecretsManager}, c.DefaultTags}
	}
	return secretTags{}
}

// applyTags makes the secret's tags the planned ones (have: the state's
// tags_all, null on create).
func (s secretTags) applyTags(ctx context.Context, id string, tags types.Map, have types.Map) (types.Map, error) {
	if s.tags == nil {
		return types.MapNull(types.StringType), nil
	}
	return applyTags(ctx, s.tags, id, s.defaults, tags, have)
}

// readTags refreshes tags and tags_all from the secret.
func (s secretTags) readTags(ctx context.Context, id string, tags, all *types.Map) error {
	if s.tags == nil {
		*tags, *all = typedMap(*tags), typedMap(*all)
		return nil
	}
	return readTags(ctx, s.tags, id, s.defaults, tags, all)
}
