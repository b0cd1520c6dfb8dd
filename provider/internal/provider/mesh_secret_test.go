package provider

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// meshT0 is the fake clock's start for the mesh resource tests.
var meshT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeSecret is one secret of fakeSecrets.
type fakeSecret struct {
	arn     string
	value   string
	version string // id of the current version
	tags    []smtypes.Tag
	deleted bool // scheduled for deletion
}

// fakeSecrets is an in-memory Secrets Manager with AWS's answers for missing
// and deleted secrets, and version ids.
type fakeSecrets struct {
	mu       sync.Mutex
	secrets  map[string]*fakeSecret
	puts     int
	versions int
	deletes  []secretsmanager.DeleteSecretInput
	restores int
	// valueReads counts GetSecretValue calls by secret name.
	valueReads map[string]int
}

// nextVersion is a fresh version id.
func (f *fakeSecrets) nextVersion() string {
	f.versions++
	return fmt.Sprintf("v-%04d", f.versions)
}

// tag is the value of tag key of secret name.
func (f *fakeSecrets) tag(name, key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.get(name).tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

var _ secretsAPI = (*fakeSecrets)(nil)

func apiError(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

func notFound() error {
	return apiError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func (f *fakeSecrets) get(name string) *fakeSecret {
	if f.secrets == nil {
		f.secrets = map[string]*fakeSecret{}
	}
	return f.secrets[name]
}

// value returns the current value of name, "" when missing.
func (f *fakeSecrets) value(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.get(name); s != nil {
		return s.value
	}
	return ""
}

// set writes a value behind the provider's back, as a new version.
func (f *fakeSecrets) set(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.get(name).value = value
	f.get(name).version = f.nextVersion()
}

func (f *fakeSecrets) CreateSecret(_ context.Context, in *secretsmanager.CreateSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	if s := f.get(name); s != nil {
		if s.deleted {
			return nil, apiError("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		return nil, apiError("ResourceExistsException", "The operation failed because the secret "+name+" already exists.")
	}
	arn := "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + name + "-AbCdEf"
	v := f.nextVersion()
	f.secrets[name] = &fakeSecret{arn: arn, value: aws.ToString(in.SecretString), tags: in.Tags, version: v}
	return &secretsmanager.CreateSecretOutput{ARN: aws.String(arn), Name: in.Name, VersionId: aws.String(v)}, nil
}

func (f *fakeSecrets) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.get(aws.ToString(in.SecretId))
	if s == nil {
		return nil, notFound()
	}
	if s.deleted {
		return nil, apiError("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	}
	f.puts++
	s.value = aws.ToString(in.SecretString)
	s.version = f.nextVersion()
	return &secretsmanager.PutSecretValueOutput{ARN: aws.String(s.arn), VersionId: aws.String(s.version)}, nil
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.get(aws.ToString(in.SecretId))
	if f.valueReads == nil {
		f.valueReads = map[string]int{}
	}
	f.valueReads[aws.ToString(in.SecretId)]++
	switch {
	case s == nil:
		return nil, notFound()
	case s.deleted:
		return nil, apiError("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	}
	return &secretsmanager.GetSecretValueOutput{ARN: aws.String(s.arn), Name: in.SecretId, SecretString: aws.String(s.value), VersionId: aws.String(s.version)}, nil
}

// reads is how often the value of name was read.
func (f *fakeSecrets) reads(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.valueReads[name]
}

func (f *fakeSecrets) RestoreSecret(_ context.Context, in *secretsmanager.RestoreSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.get(aws.ToString(in.SecretId))
	if s == nil {
		return nil, notFound()
	}
	f.restores++
	s.deleted = false
	return &secretsmanager.RestoreSecretOutput{ARN: aws.String(s.arn)}, nil
}

func (f *fakeSecrets) TagResource(_ context.Context, in *secretsmanager.TagResourceInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.get(aws.ToString(in.SecretId))
	if s == nil {
		return nil, notFound()
	}
	for _, nt := range in.Tags {
		replaced := false
		for i, t := range s.tags {
			if aws.ToString(t.Key) == aws.ToString(nt.Key) {
				s.tags[i], replaced = nt, true
			}
		}
		if !replaced {
			s.tags = append(s.tags, nt)
		}
	}
	return &secretsmanager.TagResourceOutput{}, nil
}

func (f *fakeSecrets) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.get(aws.ToString(in.SecretId))
	if s == nil {
		return nil, notFound()
	}
	out := &secretsmanager.DescribeSecretOutput{ARN: aws.String(s.arn), Name: in.SecretId, Tags: s.tags,
		VersionIdsToStages: map[string][]string{s.version: {"AWSCURRENT"}}}
	if s.deleted {
		out.DeletedDate = aws.Time(meshT0)
	}
	return out, nil
}

func (f *fakeSecrets) DeleteSecret(_ context.Context, in *secretsmanager.DeleteSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, *in)
	name := aws.ToString(in.SecretId)
	if f.get(name) == nil {
		return nil, notFound() // as MiniStack answers; AWS does not fail a forced delete
	}
	if aws.ToBool(in.ForceDeleteWithoutRecovery) {
		delete(f.secrets, name)
	} else {
		f.secrets[name].deleted = true
	}
	return &secretsmanager.DeleteSecretOutput{Name: in.SecretId}, nil
}

// fakeClock is a settable clock for the resources' now field.
type meshClock struct{ now time.Time }

func (c *meshClock) Now() time.Time { return c.now }

// tfState returns a state of schema s holding model (nil for none).
func tfState(t *testing.T, s schema.Schema, model any) tfsdk.State {
	t.Helper()
	st := tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(context.Background()), nil)}
	if model != nil {
		if diags := st.Set(context.Background(), model); diags.HasError() {
			t.Fatalf("state: %v", diags)
		}
	}
	return st
}

// tfPlan returns a plan of schema s holding model.
func tfPlan(t *testing.T, s schema.Schema, model any) tfsdk.Plan {
	t.Helper()
	st := tfState(t, s, model)
	return tfsdk.Plan{Schema: s, Raw: st.Raw}
}

// noErrors fails the test when diags hold an error.
func noErrors(t *testing.T, what string, diags diag.Diagnostics) {
	t.Helper()
	if diags.HasError() {
		t.Fatalf("%s: got %s, want no error", what, errorText(diags))
	}
}

// wantError fails the test unless diags hold an error containing want.
func wantError(t *testing.T, what string, diags diag.Diagnostics, want string) {
	t.Helper()
	if !diags.HasError() || !strings.Contains(errorText(diags), want) {
		t.Fatalf("%s: got %q, want an error containing %q", what, errorText(diags), want)
	}
}

// readInto runs r's Read on state and returns the new state; gone reports
// that the resource was removed.
func readInto(t *testing.T, r resource.Resource, s schema.Schema, state tfsdk.State, dst any) (gone bool) {
	t.Helper()
	ctx := context.Background()
	resp := resource.ReadResponse{State: state}
	r.Read(ctx, resource.ReadRequest{State: state}, &resp)
	noErrors(t, "Read", resp.Diagnostics)
	if resp.State.Raw.IsNull() {
		return true
	}
	noErrors(t, "Read state", resp.State.Get(ctx, dst))
	return false
}

func TestReadMeshSecretGone(t *testing.T) {
	api := &fakeSecrets{}
	ctx := context.Background()
	if _, _, err := createMeshSecret(ctx, api, newMeshSecret{name: "doomed"}, "{}"); err != nil {
		t.Fatal(err)
	}
	api.secrets["doomed"].deleted = true
	for _, name := range []string{"missing", "doomed"} {
		if _, ok, err := readMeshSecret(ctx, api, name); ok || err != nil {
			t.Errorf("readMeshSecret(%s): got ok %v, %v; want gone without error", name, ok, err)
		}
	}
	if _, _, err := createMeshSecret(ctx, api, newMeshSecret{name: "doomed", tags: map[string]string{tagMeshKind: "ca"}}, "{}"); err != errSecretScheduledForDeletion {
		t.Errorf("create over a secret scheduled for deletion that is not the provider's: got %v, want errSecretScheduledForDeletion", err)
	}
	if err := deleteMeshSecret(ctx, api, "missing", 7); err != nil {
		t.Errorf("delete a missing secret: got %v, want nil", err)
	}
}

// A secret the provider created and deleted with a recovery window is
// restored by a create of the same kind under the same name (a replacement),
// with the new value as its current version; one of another kind is not.
func TestCreateMeshSecretRestoresItsOwn(t *testing.T) {
	ctx := context.Background()
	api := &fakeSecrets{}
	n := newMeshSecret{name: "mesh/ca", tags: map[string]string{tagMeshKind: "ca"}, recoveryDays: 7}
	if _, _, err := createMeshSecret(ctx, api, n, `{"v":1}`); err != nil {
		t.Fatal(err)
	}
	if err := deleteMeshSecret(ctx, api, "mesh/ca", 7); err != nil {
		t.Fatal(err)
	}
	if got := api.deletes[0]; aws.ToInt64(got.RecoveryWindowInDays) != 7 || aws.ToBool(got.ForceDeleteWithoutRecovery) {
		t.Fatalf("delete: got recovery %d force %v, want a 7-day recovery window", aws.ToInt64(got.RecoveryWindowInDays), aws.ToBool(got.ForceDeleteWithoutRecovery))
	}
	other := newMeshSecret{name: "mesh/ca", tags: map[string]string{tagMeshKind: "certificate"}}
	if _, _, err := createMeshSecret(ctx, api, other, "{}"); err != errSecretScheduledForDeletion {
		t.Fatalf("create of another kind: got %v, want errSecretScheduledForDeletion", err)
	}
	n.recoveryDays = 14
	_, version, err := createMeshSecret(ctx, api, n, `{"v":2}`)
	if err != nil {
		t.Fatalf("create over its own deleted secret: got %v, want a restore", err)
	}
	if api.restores != 1 || api.value("mesh/ca") != `{"v":2}` || api.secrets["mesh/ca"].version != version {
		t.Fatalf("got %d restores, value %q, version %s; want 1, the new value as the current version %s", api.restores, api.value("mesh/ca"), api.secrets["mesh/ca"].version, version)
	}
	if got := api.tag("mesh/ca", tagRecoveryWindow); got != "14" {
		t.Errorf("recovery window tag after the restore: got %q, want 14", got)
	}
	if err := deleteMeshSecret(ctx, api, "mesh/ca", 0); err != nil || api.get("mesh/ca") != nil {
		t.Fatalf("delete with a 0-day window: got %v, secret %v; want it gone at once", err, api.get("mesh/ca"))
	}
}

func TestRenewalDue(t *testing.T) {
	notAfter := formatTime(meshT0.Add(10 * time.Hour))
	tests := []struct {
		notAfter string
		renew    int64
		now      time.Time
		want     bool
	}{
		{notAfter, 2, meshT0, false},
		{notAfter, 2, meshT0.Add(7*time.Hour + 59*time.Minute), false},
		{notAfter, 2, meshT0.Add(8 * time.Hour), true},
		{notAfter, 0, meshT0.Add(11 * time.Hour), true},
		{"", 2, meshT0, true},
	}
	for _, tt := range tests {
		if got := renewalDue(tt.notAfter, tt.renew, tt.now); got != tt.want {
			t.Errorf("renewalDue(%q, %d, %s) = %v, want %v", tt.notAfter, tt.renew, tt.now, got, tt.want)
		}
	}
}

func TestSecretNamePattern(t *testing.T) {
	for name, ok := range map[string]bool{"portico/mesh/ca": true, "a+b=c.d@e_f-g": true, "bad name": false, "": false, "no*star": false} {
		if secretNamePattern.MatchString(name) != ok {
			t.Errorf("secret name %q: got match %v, want %v", name, !ok, ok)
		}
	}
}
