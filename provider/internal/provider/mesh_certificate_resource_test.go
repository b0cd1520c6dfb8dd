package provider

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// certConfig is a portico_mesh_certificate as planned for create.
func certConfig(name, service, caCert string, dns ...string) MeshCertificateResourceModel {
	names := make([]attr.Value, len(dns))
	for i, n := range dns {
		names[i] = types.StringValue(n)
	}
	return MeshCertificateResourceModel{
		ID: types.StringUnknown(), Name: types.StringValue(name), ARN: types.StringUnknown(),
		CASecret: types.StringValue("mesh/ca"), CACertPEM: types.StringValue(caCert), Service: types.StringValue(service),
		DNSNames: types.ListValueMust(types.StringType, names), ValidityHours: types.Int64Value(24), RenewBeforeHours: types.Int64Value(6),
		CertPEM: types.StringUnknown(), NotAfter: types.StringUnknown(),
		VersionID: types.StringUnknown(), CreateSecret: types.BoolValue(true), RecoveryWindow: types.Int64Value(defaultRecoveryWindowDays),
		Tags: types.MapNull(types.StringType), TagsAll: types.MapUnknown(types.StringType),
	}
}

// meshFixture is a CA resource and a certificate resource sharing a fake
// Secrets Manager and a clock, with the CA created.
type meshFixture struct {
	api   *fakeSecrets
	clock *meshClock
	ca    *MeshCAResource
	cert  *MeshCertificateResource
	caNow MeshCAResourceModel
}

func newMeshFixture(t *testing.T) *meshFixture {
	t.Helper()
	f := &meshFixture{api: &fakeSecrets{}, clock: &meshClock{now: meshT0}}
	f.ca = &MeshCAResource{api: f.api, now: f.clock.Now}
	f.cert = &MeshCertificateResource{api: f.api, now: f.clock.Now}
	_, f.caNow = createCA(t, f.ca, caConfig("mesh/ca"))
	return f
}

func (f *meshFixture) create(t *testing.T, plan MeshCertificateResourceModel) (tfsdk.State, MeshCertificateResourceModel) {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t, f.cert)
	resp := resource.CreateResponse{State: tfState(t, s, nil)}
	f.cert.Create(ctx, resource.CreateRequest{Plan: tfPlan(t, s, &plan)}, &resp)
	noErrors(t, "Create", resp.Diagnostics)
	var got MeshCertificateResourceModel
	noErrors(t, "state", resp.State.Get(ctx, &got))
	return resp.State, got
}

func (f *meshFixture) plan(t *testing.T, state, plan MeshCertificateResourceModel) MeshCertificateResourceModel {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t, f.cert)
	req := resource.ModifyPlanRequest{State: tfState(t, s, &state), Plan: tfPlan(t, s, &plan)}
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	f.cert.ModifyPlan(ctx, req, &resp)
	noErrors(t, "ModifyPlan", resp.Diagnostics)
	var got MeshCertificateResourceModel
	noErrors(t, "plan", resp.Plan.Get(ctx, &got))
	return got
}

func (f *meshFixture) update(t *testing.T, state, plan MeshCertificateResourceModel) (MeshCertificateResourceModel, resource.UpdateResponse) {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t, f.cert)
	resp := resource.UpdateResponse{State: tfState(t, s, &state)}
	f.cert.Update(ctx, resource.UpdateRequest{State: tfState(t, s, &state), Plan: tfPlan(t, s, &plan)}, &resp)
	var got MeshCertificateResourceModel
	if !resp.Diagnostics.HasError() {
		noErrors(t, "state", resp.State.Get(ctx, &got))
	}
	return got, resp
}

// credentialsFrom loads mtls.Credentials from a certificate's secret value,
// as a service does.
func credentialsFrom(t *testing.T, value string) *mtls.Credentials {
	t.Helper()
	m, err := mtlssm.Decode(value)
	if err != nil {
		t.Fatal(err)
	}
	src := &mtls.Memory{}
	src.Set(m)
	c, err := mtls.New(context.Background(), mtls.Config{Source: src, Clock: &meshClock{now: meshT0.Add(time.Hour)}})
	if err != nil {
		t.Fatalf("the secret's material does not load: %v", err)
	}
	return c
}

func TestMeshCertificateSchema(t *testing.T) {
	s := resourceSchema(t, NewMeshCertificateResource())
	checkRequiresReplace(t, s, map[string]bool{"name": true}) // ca_secret: a conditional replace, below
	// ca_secret replaces the certificate, except when the state has none
	// (a secret imported without Portico's tags adopts it in place).
	ctx := context.Background()
	model := certConfig("mesh/payment", "payment", "")
	for _, tt := range []struct {
		state types.String
		want  bool
	}{{types.StringValue("mesh/ca"), true}, {types.StringNull(), false}} {
		got := false
		for _, m := range s.Attributes["ca_secret"].(schema.StringAttribute).PlanModifiers {
			req := planmodifier.StringRequest{StateValue: tt.state, PlanValue: types.StringValue("mesh/other"), ConfigValue: types.StringValue("mesh/other"),
				State: tfState(t, s, &model), Plan: tfPlan(t, s, &model)}
			var resp planmodifier.StringResponse
			m.PlanModifyString(ctx, req, &resp)
			got = got || resp.RequiresReplace
		}
		if got != tt.want {
			t.Errorf("ca_secret changed from %v: got RequiresReplace=%v, want %v", tt.state, got, tt.want)
		}
	}
}

// Create issues the service's identity from the CA in its secret and stores
// certificate, key and the CA's bundle in the service's secret, which loads
// as mtls.Credentials; Read and an import by secret name give the same state.
func TestMeshCertificateCreateReadImport(t *testing.T) {
	f := newMeshFixture(t)
	state, created := f.create(t, certConfig("mesh/payment", "payment", f.caNow.CertPEM.ValueString(), "payment.internal"))

	value := f.api.value("mesh/payment")
	creds := credentialsFrom(t, value)
	if got := creds.Identity(); got != "spiffe://portico/payment" {
		t.Errorf("identity: got %s, want spiffe://portico/payment", got)
	}
	got, err := parseIssued(value)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"payment", "payment.internal"}; !slices.Equal(got.leaf.DNSNames, want) {
		t.Errorf("DNS names: got %v, want %v", got.leaf.DNSNames, want)
	}
	if !samePEMCertificate(encodeCertificate(got.issuer), f.caNow.CertPEM.ValueString()) {
		t.Error("got a certificate not issued by the CA")
	}
	if created.CertPEM.ValueString() != encodeCertificate(got.leaf) || created.NotAfter.ValueString() != formatTime(meshT0.Add(24*time.Hour)) {
		t.Errorf("got cert_pem/not_after %s not matching the secret", created.NotAfter)
	}
	if strings.Contains(state.Raw.String(), "PRIVATE KEY") {
		t.Fatal("the state holds the private key, want it only in the secret")
	}

	s := resourceSchema(t, f.cert)
	var read MeshCertificateResourceModel
	reads := f.api.reads("mesh/payment") + f.api.reads("mesh/ca")
	if readInto(t, f.cert, s, state, &read) || !reflect.DeepEqual(read, created) {
		t.Fatalf("Read: got %+v, want %+v", read, created)
	}
	// A refresh of an unchanged secret reads neither key.
	if n := f.api.reads("mesh/payment") + f.api.reads("mesh/ca") - reads; n != 0 {
		t.Fatalf("Read: got %d GetSecretValue calls, want none (DescribeSecret only)", n)
	}
	imp := resource.ImportStateResponse{State: tfState(t, s, nil)}
	f.cert.ImportState(context.Background(), resource.ImportStateRequest{ID: "mesh/payment"}, &imp)
	noErrors(t, "ImportState", imp.Diagnostics)
	var imported MeshCertificateResourceModel
	if readInto(t, f.cert, s, imp.State, &imported) {
		t.Fatal("import: got gone, want the certificate")
	}
	// Everything, ca_secret and renew_before_hours included, comes back from
	// the secret.
	if !reflect.DeepEqual(imported, created) {
		t.Fatalf("import: got %+v, want %+v", imported, created)
	}
}

// A re-issue is planned when the identity, validity or CA changes or the
// certificate is due for renewal, not for renew_before_hours alone.
func TestMeshCertificatePlan(t *testing.T) {
	f := newMeshFixture(t)
	_, first := f.create(t, certConfig("mesh/payment", "payment", f.caNow.CertPEM.ValueString()))
	other, _ := mtls.NewCA("portico", meshT0, meshT0.Add(time.Hour))
	with := func(change func(*MeshCertificateResourceModel)) MeshCertificateResourceModel {
		p := first
		change(&p)
		return p
	}
	tests := []struct {
		name    string
		plan    MeshCertificateResourceModel
		at      time.Time
		reissue bool
	}{
		{"nothing changed", first, meshT0.Add(time.Hour), false},
		{"renew_before_hours changed", with(func(p *MeshCertificateResourceModel) { p.RenewBeforeHours = types.Int64Value(2) }), meshT0.Add(time.Hour), false},
		{"same CA spelt differently", with(func(p *MeshCertificateResourceModel) {
			p.CACertPEM = types.StringValue("\n" + p.CACertPEM.ValueString())
		}), meshT0.Add(time.Hour), false},
		{"service changed", with(func(p *MeshCertificateResourceModel) { p.Service = types.StringValue("fraud") }), meshT0.Add(time.Hour), true},
		{"dns_names changed", with(func(p *MeshCertificateResourceModel) {
			p.DNSNames = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("pay.internal")})
		}), meshT0.Add(time.Hour), true},
		{"validity_hours changed", with(func(p *MeshCertificateResourceModel) { p.ValidityHours = types.Int64Value(48) }), meshT0.Add(time.Hour), true},
		{"CA rotating in this apply", with(func(p *MeshCertificateResourceModel) { p.CACertPEM = types.StringUnknown() }), meshT0.Add(time.Hour), true},
		{"another CA", with(func(p *MeshCertificateResourceModel) { p.CACertPEM = types.StringValue(string(other.CertPEM)) }), meshT0.Add(time.Hour), true},
		{"just before the renewal window", first, meshT0.Add(18*time.Hour - time.Minute), false},
		{"in the renewal window", first, meshT0.Add(18 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.now = tt.at
			got := f.plan(t, first, tt.plan)
			if got.CertPEM.IsUnknown() != tt.reissue || got.NotAfter.IsUnknown() != tt.reissue {
				t.Fatalf("got cert_pem unknown %v, not_after %v; want a re-issue = %v", got.CertPEM.IsUnknown(), got.NotAfter, tt.reissue)
			}
		})
	}
}

// When the CA rotates, the re-issued certificate comes from the new CA and
// carries the bundle of both CAs; a certificate whose ca_cert_pem is not the
// CA in the secret, or whose CA secret is gone, is not issued.
func TestMeshCertificateCARotation(t *testing.T) {
	f := newMeshFixture(t)
	_, first := f.create(t, certConfig("mesh/payment", "payment", f.caNow.CertPEM.ValueString()))
	oldCA := f.caNow
	f.clock.now = meshT0.Add(time.Hour)
	rotated := oldCA
	rotated.Rotate = types.StringValue("1")
	newCA := updateCA(t, f.ca, oldCA, planCA(t, f.ca, oldCA, rotated))

	plan := first
	plan.CACertPEM = newCA.CertPEM
	puts := f.api.puts
	second, resp := f.update(t, first, f.plan(t, first, plan))
	noErrors(t, "Update", resp.Diagnostics)
	if f.api.puts != puts+1 {
		t.Fatalf("got %d secret writes, want 1", f.api.puts-puts)
	}
	got, err := parseIssued(f.api.value("mesh/payment"))
	if err != nil {
		t.Fatal(err)
	}
	if !samePEMCertificate(encodeCertificate(got.issuer), newCA.CertPEM.ValueString()) || !second.CACertPEM.Equal(newCA.CertPEM) {
		t.Fatal("got a certificate of the old CA after the rotation, want the new CA")
	}
	m, _ := mtlssm.Decode(f.api.value("mesh/payment"))
	if want := []string{serialOf(t, newCA.CertPEM.ValueString()), serialOf(t, oldCA.CertPEM.ValueString())}; !slices.Equal(bundleSerials(t, string(m.CAPEM)), want) {
		t.Fatalf("got bundle %v, want both CAs %v", bundleSerials(t, string(m.CAPEM)), want)
	}
	if second.Service.ValueString() != "payment" || second.CertPEM.Equal(first.CertPEM) {
		t.Fatalf("got %+v, want a new certificate for payment", second)
	}

	stale := second
	stale.CACertPEM = oldCA.CertPEM
	stale.CertPEM, stale.NotAfter = types.StringUnknown(), types.StringUnknown()
	_, resp = f.update(t, second, stale)
	wantError(t, "Update with the old CA", resp.Diagnostics, "not the one ca_cert_pem gives")

	delete(f.api.secrets, "mesh/ca")
	plan = second
	plan.CertPEM, plan.NotAfter = types.StringUnknown(), types.StringUnknown()
	_, resp = f.update(t, second, plan)
	wantError(t, "Update without the CA secret", resp.Diagnostics, "does not exist")
}

// Drift: a deleted secret removes the certificate from state (the plan
// creates it); a secret overwritten with another service's certificate
// shows that service in state (the plan re-issues ours); garbage plans a
// re-issue.
func TestMeshCertificateDrift(t *testing.T) {
	f := newMeshFixture(t)
	state, created := f.create(t, certConfig("mesh/payment", "payment", f.caNow.CertPEM.ValueString()))
	_, _ = f.create(t, certConfig("mesh/fraud", "fraud", f.caNow.CertPEM.ValueString()))
	s := resourceSchema(t, f.cert)

	f.api.set("mesh/payment", f.api.value("mesh/fraud"))
	var read MeshCertificateResourceModel
	if readInto(t, f.cert, s, state, &read) || read.Service.ValueString() != "fraud" {
		t.Fatalf("overwritten: got service %s, want fraud in state", read.Service)
	}
	if p := f.plan(t, read, created); !p.CertPEM.IsUnknown() {
		t.Fatal("overwritten: got no re-issue planned, want one")
	}

	f.api.set("mesh/payment", "not json")
	if readInto(t, f.cert, s, state, &read) || read.CertPEM.ValueString() != "" {
		t.Fatalf("garbage: got cert_pem %q, want empty", read.CertPEM)
	}
	if p := f.plan(t, read, created); !p.CertPEM.IsUnknown() {
		t.Fatal("garbage: got no re-issue planned, want one")
	}

	delete(f.api.secrets, "mesh/payment")
	if !readInto(t, f.cert, s, state, &read) {
		t.Fatal("deleted: got the certificate in state, want it removed")
	}
}
