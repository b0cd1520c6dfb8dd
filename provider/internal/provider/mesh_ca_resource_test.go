package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

// caConfig is a portico_mesh_ca as planned for create.
func caConfig(name string) MeshCAResourceModel {
	return MeshCAResourceModel{
		ID: types.StringUnknown(), Name: types.StringValue(name), ARN: types.StringUnknown(),
		TrustDomain: types.StringValue("portico"), ValidityHours: types.Int64Value(48), RenewBeforeHours: types.Int64Value(12),
		Rotate: types.StringNull(), CertPEM: types.StringUnknown(), CABundlePEM: types.StringUnknown(), NotAfter: types.StringUnknown(),
		VersionID: types.StringUnknown(), CreateSecret: types.BoolValue(true), RecoveryWindow: types.Int64Value(defaultRecoveryWindowDays),
		Tags: types.MapNull(types.StringType), TagsAll: types.MapUnknown(types.StringType),
	}
}

// createCA creates plan with r and returns the state.
func createCA(t *testing.T, r *MeshCAResource, plan MeshCAResourceModel) (tfsdk.State, MeshCAResourceModel) {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t, r)
	resp := resource.CreateResponse{State: tfState(t, s, nil)}
	r.Create(ctx, resource.CreateRequest{Plan: tfPlan(t, s, &plan)}, &resp)
	noErrors(t, "Create", resp.Diagnostics)
	var got MeshCAResourceModel
	noErrors(t, "state", resp.State.Get(ctx, &got))
	return resp.State, got
}

// planCA runs ModifyPlan from state to plan and returns the planned model.
func planCA(t *testing.T, r *MeshCAResource, state, plan MeshCAResourceModel) MeshCAResourceModel {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t, r)
	req := resource.ModifyPlanRequest{State: tfState(t, s, &state), Plan: tfPlan(t, s, &plan)}
	resp := resource.ModifyPlanResponse{Plan: req.Plan}
	r.ModifyPlan(ctx, req, &resp)
	noErrors(t, "ModifyPlan", resp.Diagnostics)
	var got MeshCAResourceModel
	noErrors(t, "plan", resp.Plan.Get(ctx, &got))
	return got
}

// updateCA applies plan over state.
func updateCA(t *testing.T, r *MeshCAResource, state, plan MeshCAResourceModel) MeshCAResourceModel {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t, r)
	resp := resource.UpdateResponse{State: tfState(t, s, &state)}
	r.Update(ctx, resource.UpdateRequest{State: tfState(t, s, &state), Plan: tfPlan(t, s, &plan)}, &resp)
	noErrors(t, "Update", resp.Diagnostics)
	var got MeshCAResourceModel
	noErrors(t, "state", resp.State.Get(ctx, &got))
	return got
}

// bundleCerts returns the subjects' serials of the CAs in a PEM bundle.
func bundleSerials(t *testing.T, bundle string) []string {
	t.Helper()
	certs, err := parseCertificates([]byte(bundle))
	if err != nil {
		t.Fatal(err)
	}
	var serials []string
	for _, c := range certs {
		serials = append(serials, c.SerialNumber.String())
	}
	return serials
}

func serialOf(t *testing.T, pemText string) string {
	t.Helper()
	s := bundleSerials(t, pemText)
	if len(s) == 0 {
		t.Fatalf("no certificate in %q", pemText)
	}
	return s[0]
}

func TestMeshCASchema(t *testing.T) {
	s := resourceSchema(t, NewMeshCAResource())
	checkRequiresReplace(t, s, map[string]bool{"name": true, "trust_domain": true})
	for name, a := range s.Attributes {
		if strings.Contains(name, "key") {
			t.Errorf("attribute %q: the CA key must stay in the secret, not in an attribute (%v)", name, a)
		}
	}
}

// Create stores the CA, its key and the bundle in the secret, and keeps only
// the certificate in state; Read gives the same state back; an import from
// the secret name alone reads every attribute.
func TestMeshCACreateReadImport(t *testing.T) {
	api := &fakeSecrets{}
	clock := &meshClock{now: meshT0}
	r := &MeshCAResource{api: api, now: clock.Now}
	state, created := createCA(t, r, caConfig("mesh/ca"))

	m, err := mtlssm.Decode(api.value("mesh/ca"))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := mtls.ParseCA(m.CertPEM, m.KeyPEM)
	if err != nil {
		t.Fatalf("the secret holds no usable CA: %v", err)
	}
	if created.CertPEM.ValueString() != string(ca.CertPEM) || created.CABundlePEM.ValueString() != string(ca.CertPEM) || string(m.CAPEM) != string(ca.CertPEM) {
		t.Fatalf("got state cert %q, bundle %q; want the CA of the secret as both", created.CertPEM.ValueString(), created.CABundlePEM.ValueString())
	}
	if got, want := created.NotAfter.ValueString(), formatTime(meshT0.Add(48*time.Hour)); got != want {
		t.Errorf("not_after: got %s, want %s", got, want)
	}
	if created.ID.ValueString() != "mesh/ca" || !strings.HasPrefix(created.ARN.ValueString(), "arn:aws:secretsmanager:") {
		t.Errorf("got id %s, arn %s; want mesh/ca and the secret ARN", created.ID, created.ARN)
	}
	if strings.Contains(state.Raw.String(), "PRIVATE KEY") {
		t.Fatal("the state holds the CA's private key, want it only in the secret")
	}

	var read MeshCAResourceModel
	if gone := readInto(t, r, resourceSchema(t, r), state, &read); gone || !reflect.DeepEqual(read, created) {
		t.Fatalf("Read: got gone=%v %+v, want the created state", gone, read)
	}
	// A refresh of an unchanged secret needs no access to the CA's key.
	if n := api.reads("mesh/ca"); n != 0 {
		t.Fatalf("Read: got %d GetSecretValue calls on the CA secret, want none (DescribeSecret only)", n)
	}

	s := resourceSchema(t, r)
	imp := resource.ImportStateResponse{State: tfState(t, s, nil)}
	r.ImportState(context.Background(), resource.ImportStateRequest{ID: "mesh/ca"}, &imp)
	noErrors(t, "ImportState", imp.Diagnostics)
	var imported MeshCAResourceModel
	if readInto(t, r, s, imp.State, &imported) {
		t.Fatal("import: got gone, want the CA")
	}
	// Everything, renew_before_hours included, comes back from the secret.
	if !reflect.DeepEqual(imported, created) {
		t.Fatalf("import: got %+v, want %+v", imported, created)
	}
}

// A rotation is planned for validity_hours, rotate, renewal or an unusable
// secret, and not for renew_before_hours alone; it puts a new CA in the
// secret whose bundle keeps the previous CA until the next rotation.
func TestMeshCARotation(t *testing.T) {
	api := &fakeSecrets{}
	clock := &meshClock{now: meshT0}
	r := &MeshCAResource{api: api, now: clock.Now}
	_, first := createCA(t, r, caConfig("mesh/ca"))

	with := func(change func(*MeshCAResourceModel)) MeshCAResourceModel {
		p := first
		change(&p)
		return p
	}
	tests := []struct {
		name   string
		plan   MeshCAResourceModel
		at     time.Time
		rotate bool
	}{
		{"nothing changed", first, meshT0.Add(time.Hour), false},
		{"renew_before_hours changed", with(func(p *MeshCAResourceModel) { p.RenewBeforeHours = types.Int64Value(24) }), meshT0.Add(time.Hour), false},
		{"validity_hours changed", with(func(p *MeshCAResourceModel) { p.ValidityHours = types.Int64Value(72) }), meshT0.Add(time.Hour), true},
		{"rotate set", with(func(p *MeshCAResourceModel) { p.Rotate = types.StringValue("2026-03") }), meshT0.Add(time.Hour), true},
		{"just before the renewal window", first, meshT0.Add(36*time.Hour - time.Minute), false},
		{"in the renewal window", first, meshT0.Add(36 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.now = tt.at
			got := planCA(t, r, first, tt.plan)
			if got.CertPEM.IsUnknown() != tt.rotate || got.CABundlePEM.IsUnknown() != tt.rotate || got.NotAfter.IsUnknown() != tt.rotate {
				t.Fatalf("got cert_pem %v, ca_bundle_pem %v, not_after %v; want unknown (a rotation) = %v", got.CertPEM, got.CABundlePEM.IsUnknown(), got.NotAfter, tt.rotate)
			}
			if !tt.rotate && !got.CertPEM.Equal(first.CertPEM) {
				t.Fatal("got a changed cert_pem without a rotation")
			}
		})
	}

	clock.now = meshT0.Add(time.Hour)
	puts := api.puts
	kept := updateCA(t, r, first, planCA(t, r, first, with(func(p *MeshCAResourceModel) { p.RenewBeforeHours = types.Int64Value(24) })))
	if api.puts != puts || !kept.CertPEM.Equal(first.CertPEM) {
		t.Fatalf("update of renew_before_hours: got %d secret writes and cert %v; want none and the same CA", api.puts-puts, kept.CertPEM)
	}

	second := updateCA(t, r, first, planCA(t, r, first, with(func(p *MeshCAResourceModel) { p.Rotate = types.StringValue("1") })))
	s1, s2 := serialOf(t, first.CertPEM.ValueString()), serialOf(t, second.CertPEM.ValueString())
	if s1 == s2 {
		t.Fatal("rotation: got the same CA, want a new one")
	}
	if got := bundleSerials(t, second.CABundlePEM.ValueString()); len(got) != 2 || got[0] != s2 || got[1] != s1 {
		t.Fatalf("bundle after one rotation: got %v, want [new %s, previous %s]", got, s2, s1)
	}
	m, _ := mtlssm.Decode(api.value("mesh/ca"))
	if serialOf(t, string(m.CertPEM)) != s2 || string(m.CAPEM) != second.CABundlePEM.ValueString() {
		t.Fatal("rotation: the secret does not hold the new CA and bundle")
	}
	third := updateCA(t, r, second, planCA(t, r, second, with(func(p *MeshCAResourceModel) { p.Rotate = types.StringValue("2") })))
	s3 := serialOf(t, third.CertPEM.ValueString())
	if got := bundleSerials(t, third.CABundlePEM.ValueString()); len(got) != 2 || got[0] != s3 || got[1] != s2 {
		t.Fatalf("bundle after two rotations: got %v, want [%s, %s] (the first CA dropped)", got, s3, s2)
	}
}

// Drift: a deleted (or scheduled for deletion) secret removes the CA from
// state, so the plan creates it; a secret that no longer holds a usable CA
// plans a rotation.
func TestMeshCADrift(t *testing.T) {
	for _, tt := range []struct {
		name  string
		drift func(api *fakeSecrets)
		gone  bool
	}{
		{"deleted", func(api *fakeSecrets) { delete(api.secrets, "mesh/ca") }, true},
		{"scheduled for deletion", func(api *fakeSecrets) { api.secrets["mesh/ca"].deleted = true }, true},
		{"overwritten", func(api *fakeSecrets) { api.set("mesh/ca", `{"cert":"x","key":"y"}`) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeSecrets{}
			r := &MeshCAResource{api: api, now: (&meshClock{now: meshT0}).Now}
			state, created := createCA(t, r, caConfig("mesh/ca"))
			tt.drift(api)
			var read MeshCAResourceModel
			gone := readInto(t, r, resourceSchema(t, r), state, &read)
			if gone != tt.gone {
				t.Fatalf("Read: got gone=%v, want %v", gone, tt.gone)
			}
			if gone {
				return
			}
			if planned := planCA(t, r, read, created); !planned.CertPEM.IsUnknown() {
				t.Fatalf("got plan cert_pem %v, want a rotation", planned.CertPEM)
			}
		})
	}
}

func TestMeshCADeleteAndErrors(t *testing.T) {
	ctx := context.Background()
	api := &fakeSecrets{}
	r := &MeshCAResource{api: api, now: (&meshClock{now: meshT0}).Now}
	state, _ := createCA(t, r, caConfig("mesh/ca"))
	s := resourceSchema(t, r)

	var resp resource.CreateResponse
	resp.State = tfState(t, s, nil)
	plan := caConfig("mesh/ca")
	r.Create(ctx, resource.CreateRequest{Plan: tfPlan(t, s, &plan)}, &resp)
	wantError(t, "Create over an existing secret", resp.Diagnostics, "ResourceExistsException")

	del := resource.DeleteResponse{State: state}
	r.Delete(ctx, resource.DeleteRequest{State: state}, &del)
	noErrors(t, "Delete", del.Diagnostics)
	if len(api.deletes) != 1 || aws.ToInt64(api.deletes[0].RecoveryWindowInDays) != defaultRecoveryWindowDays || !api.get("mesh/ca").deleted {
		t.Fatalf("got deletes %+v, want one delete with a %d-day recovery window", api.deletes, defaultRecoveryWindowDays)
	}
	r.Delete(ctx, resource.DeleteRequest{State: state}, &del)
	noErrors(t, "Delete of a deleted secret", del.Diagnostics)

	vresp := resource.ValidateConfigResponse{}
	bad := caConfig("mesh/ca")
	bad.RenewBeforeHours = types.Int64Value(48)
	r.ValidateConfig(ctx, resource.ValidateConfigRequest{Config: tfsdk.Config{Schema: s, Raw: tfState(t, s, &bad).Raw}}, &vresp)
	wantError(t, "ValidateConfig", vresp.Diagnostics, "must be less than validity_hours")
	if p := vresp.Diagnostics.Errors()[0].(interface{ Path() path.Path }).Path(); !p.Equal(path.Root("renew_before_hours")) {
		t.Errorf("got the error on %s, want renew_before_hours", p)
	}
}
