package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

var (
	_ resource.Resource                   = &MeshCertificateResource{}
	_ resource.ResourceWithConfigure      = &MeshCertificateResource{}
	_ resource.ResourceWithImportState    = &MeshCertificateResource{}
	_ resource.ResourceWithModifyPlan     = &MeshCertificateResource{}
	_ resource.ResourceWithValidateConfig = &MeshCertificateResource{}
)

// Defaults of portico_mesh_certificate.
const (
	meshCertValidityHours    = 30 * 24
	meshCertRenewBeforeHours = 7 * 24
)

// MeshCertificateResource manages a service's mesh certificate, issued by a
// portico_mesh_ca and kept in a Secrets Manager secret that the service's
// mtls.Credentials read (package mesh/mtls/secretsmanager).
type MeshCertificateResource struct {
	api secretsAPI
	secretTags
	// now is the clock; nil means time.Now.
	now func() time.Time
}

// MeshCertificateResourceModel is the state of a portico_mesh_certificate.
type MeshCertificateResourceModel struct {
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	ARN              types.String `tfsdk:"arn"`
	Tags             types.Map    `tfsdk:"tags"`
	TagsAll          types.Map    `tfsdk:"tags_all"`
	CASecret         types.String `tfsdk:"ca_secret"`
	CACertPEM        types.String `tfsdk:"ca_cert_pem"`
	Service          types.String `tfsdk:"service"`
	DNSNames         types.List   `tfsdk:"dns_names"`
	ValidityHours    types.Int64  `tfsdk:"validity_hours"`
	RenewBeforeHours types.Int64  `tfsdk:"renew_before_hours"`
	CertPEM          types.String `tfsdk:"cert_pem"`
	NotAfter         types.String `tfsdk:"not_after"`
	VersionID        types.String `tfsdk:"version_id"`
	CreateSecret     types.Bool   `tfsdk:"create_secret"`
	RecoveryWindow   types.Int64  `tfsdk:"recovery_window_in_days"`
}

// metadata is what the certificate's secret value records beside it.
func (m MeshCertificateResourceModel) metadata() meshMetadata {
	return meshMetadata{CASecret: m.CASecret.ValueString(), RenewBeforeHours: m.RenewBeforeHours.ValueInt64()}
}

// NewMeshCertificateResource returns a portico_mesh_certificate resource.
func NewMeshCertificateResource() resource.Resource {
	return &MeshCertificateResource{}
}

func (r *MeshCertificateResource) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

func (r *MeshCertificateResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_mesh_certificate"
}

func (r *MeshCertificateResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A service's mesh certificate (ECDSA P-256, for server and client authentication) with the identity " +
			"`spiffe://<trust_domain>/<service>` and the DNS name `<service>`, issued by a `portico_mesh_ca` and kept in a " +
			"Secrets Manager secret whose value is `{\"cert\": PEM, \"key\": PEM, \"ca_bundle\": PEM}`, which the service reads " +
			"with `pkg/mesh/mtls/secretsmanager`. The key is only in the secret. It is re-issued in place (a new secret version, " +
			"picked up by the service within its reload interval) when its identity, validity or CA changes, or when it comes " +
			"within `renew_before_hours` of expiry.\n\n" +
			"The provider creates the secret, or with `create_secret = false` writes versions into a secret created elsewhere " +
			"(`aws_secretsmanager_secret` with the team's KMS key, resource policy and replication), which then needs only " +
			"`secretsmanager:DescribeSecret`, `GetSecretValue` and `PutSecretValue`. A refresh reads only the secret's description " +
			"while its current version is the one the provider wrote: planning needs no access to the certificate's key, nor to " +
			"the CA's (issuing, at apply, reads the CA secret). A secret the provider created is deleted with a recovery window " +
			"(`recovery_window_in_days`), and a replacement under the same name restores it.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The secret name, the import ID.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the Secrets Manager secret that holds the certificate, for example `portico/mesh/payment`. Changing it replaces the certificate.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.RegexMatches(secretNamePattern, "must be 1 to 512 letters, digits and /_+=.@-")},
			},
			"tags":     tagsAttribute(),
			"tags_all": tagsAllAttribute(),
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the secret, for the service's IAM policy (`secretsmanager:GetSecretValue`).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"ca_secret": schema.StringAttribute{
				MarkdownDescription: "Name of the CA's secret (`portico_mesh_ca.<name>.name`), read for the CA key when issuing. Changing it replaces the certificate.",
				Required:            true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
					// A secret imported without Portico's tag has no CA
					// secret in state: adopt the configured one in place.
					resp.RequiresReplace = !req.StateValue.IsNull()
				}, "Changing it replaces the certificate.", "Changing it replaces the certificate.")},
				Validators: []validator.String{stringvalidator.RegexMatches(secretNamePattern, "must be 1 to 512 letters, digits and /_+=.@-")},
			},
			"ca_cert_pem": schema.StringAttribute{
				MarkdownDescription: "The CA certificate to issue from: `portico_mesh_ca.<name>.cert_pem`. When the CA rotates it changes, and the certificate is re-issued in the same apply. It must be the CA that `ca_secret` holds.",
				Required:            true,
			},
			"service": schema.StringAttribute{
				MarkdownDescription: "The service the certificate identifies, for example `payment`: lower-case letters, digits, dots and hyphens.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.RegexMatches(dnsNamePattern, "must be a lower-case DNS-style name such as payment")},
			},
			"dns_names": schema.ListAttribute{
				MarkdownDescription: "Extra DNS names, after `<service>`, for example `payment.internal`. Default none.",
				ElementType:         types.StringType,
				Optional:            true,
				Computed:            true,
				Default:             listdefault.StaticValue(types.ListValueMust(types.StringType, []attr.Value{})),
				Validators: []validator.List{listvalidator.ValueStringsAre(
					stringvalidator.RegexMatches(dnsNamePattern, "must be a lower-case DNS name"),
				)},
			},
			"validity_hours": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How long the certificate is valid, in hours. Default %d (30 days).", meshCertValidityHours),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(meshCertValidityHours),
				Validators:          []validator.Int64{int64validator.Between(1, 5*365*24)},
			},
			"renew_before_hours": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Plan a re-issue when the certificate expires within this many hours. Default %d (7 days). Must be less than `validity_hours`.", meshCertRenewBeforeHours),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(meshCertRenewBeforeHours),
				Validators:          []validator.Int64{int64validator.AtLeast(0)},
			},
			"cert_pem": schema.StringAttribute{
				MarkdownDescription: "The certificate, PEM.",
				Computed:            true,
			},
			"not_after": schema.StringAttribute{
				MarkdownDescription: "When the certificate expires (RFC 3339, UTC).",
				Computed:            true,
			},
			"version_id": schema.StringAttribute{
				MarkdownDescription: "Id of the secret version the provider last wrote. A current version with another id (written " +
					"outside Terraform) is read in full on refresh and shows as drift.",
				Computed: true,
			},
			"create_secret": schema.BoolAttribute{
				MarkdownDescription: "Create the secret (default `true`), or write the certificate as new versions of an existing " +
					"secret named `name` (`false`), which destroying the resource leaves in place. Changing it replaces the certificate.",
				Optional:      true,
				Computed:      true,
				Default:       booldefault.StaticBool(true),
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"recovery_window_in_days": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Days a secret the provider created can still be restored after the resource is destroyed "+
					"or replaced: 0 (delete at once) or 7 to 30. Default %d. Not for `create_secret = false`.", defaultRecoveryWindowDays),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultRecoveryWindowDays),
				Validators: []validator.Int64{recoveryWindowValidator{}},
			},
		},
	}
}

func (r *MeshCertificateResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.api = secretsFrom(req, resp)
	r.secretTags = secretTagsFrom(req)
}

func (r *MeshCertificateResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var data MeshCertificateResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validity, renew := data.ValidityHours, data.RenewBeforeHours
	if validity.IsNull() {
		validity = types.Int64Value(meshCertValidityHours)
	}
	if renew.IsNull() {
		renew = types.Int64Value(meshCertRenewBeforeHours)
	}
	if !validity.IsUnknown() && !renew.IsUnknown() && renew.ValueInt64() >= validity.ValueInt64() {
		resp.Diagnostics.AddAttributeError(path.Root("renew_before_hours"), "Renewal window too long",
			fmt.Sprintf("renew_before_hours (%d) must be less than validity_hours (%d), or every plan would re-issue the certificate.", renew.ValueInt64(), validity.ValueInt64()))
	}
	checkRecoveryWindow(data.CreateSecret, data.RecoveryWindow, &resp.Diagnostics)
}

// issued is a certificate as its secret holds it.
type issued struct {
	leaf   *x509.Certificate
	issuer *x509.Certificate
}

// issueMeshCertificate issues a certificate for service from the CA secret
// value caValue, checking that it holds the CA caCertPEM, and returns the
// certificate's secret value: the certificate, its key and the CA's bundle.
func issueMeshCertificate(caValue, caCertPEM, service string, dnsNames []string, validityHours int64, meta meshMetadata, now time.Time) (string, issued, error) {
	caDoc, err := mtlssm.Decode(caValue)
	if err != nil {
		return "", issued{}, err
	}
	ca, err := mtls.ParseCA(caDoc.CertPEM, caDoc.KeyPEM)
	if err != nil {
		return "", issued{}, err
	}
	if !samePEMCertificate(caCertPEM, string(ca.CertPEM)) {
		return "", issued{}, fmt.Errorf("the CA secret holds the CA %q (serial %s), not the one ca_cert_pem gives; is the CA being replaced outside this configuration?", ca.Cert.Subject.CommonName, ca.Cert.SerialNumber)
	}
	m, err := ca.Issue(service, now.Add(-backdate), now.Add(time.Duration(validityHours)*time.Hour), dnsNames...)
	if err != nil {
		return "", issued{}, err
	}
	if len(caDoc.CAPEM) > 0 {
		m.CAPEM = caDoc.CAPEM
	}
	value, err := mtlssm.Encode(m)
	if err != nil {
		return "", issued{}, err
	}
	if value, err = withMetadata(value, meta); err != nil {
		return "", issued{}, err
	}
	got, err := parseIssued(value)
	return value, got, err
}

// parseIssued checks a certificate's secret value: a certificate and its
// key, and a bundle holding the certificate's issuer.
func parseIssued(value string) (issued, error) {
	m, err := mtlssm.Decode(value)
	if err != nil {
		return issued{}, err
	}
	pair, err := tls.X509KeyPair(m.CertPEM, m.KeyPEM)
	if err != nil {
		return issued{}, fmt.Errorf("certificate and key: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return issued{}, fmt.Errorf("certificate: %w", err)
	}
	cas, err := parseCertificates(m.CAPEM)
	if err != nil {
		return issued{}, fmt.Errorf("ca_bundle: %w", err)
	}
	for _, ca := range cas {
		if leaf.CheckSignatureFrom(ca) == nil {
			return issued{leaf: leaf, issuer: ca}, nil
		}
	}
	return issued{}, errors.New("no CA in ca_bundle signed the certificate")
}

// serviceOf is the service a mesh certificate identifies: the path of its
// spiffe URI SAN.
func serviceOf(c *x509.Certificate) string {
	for _, u := range c.URIs {
		if u.Scheme == "spiffe" {
			return strings.TrimPrefix(u.Path, "/")
		}
	}
	return ""
}

// setIssued records a certificate in data.
func setIssued(data *MeshCertificateResourceModel, got issued) {
	service := serviceOf(got.leaf)
	dns := got.leaf.DNSNames
	if len(dns) > 0 && dns[0] == service {
		dns = dns[1:]
	}
	names := make([]attr.Value, len(dns))
	for i, n := range dns {
		names[i] = types.StringValue(n)
	}
	data.Service = types.StringValue(service)
	data.DNSNames = types.ListValueMust(types.StringType, names)
	data.ValidityHours = types.Int64Value(validityHours(got.leaf))
	data.CertPEM = types.StringValue(encodeCertificate(got.leaf))
	data.NotAfter = types.StringValue(formatTime(got.leaf.NotAfter))
	data.CACertPEM = keepSpelling(data.CACertPEM, encodeCertificate(got.issuer))
}

// issue issues data's certificate from its CA's secret and returns the value
// to store.
func (r *MeshCertificateResource) issue(ctx context.Context, data *MeshCertificateResourceModel, diags *diag.Diagnostics) (string, bool) {
	caName := data.CASecret.ValueString()
	caSecret, ok, err := readMeshSecret(ctx, r.api, caName)
	if err == nil && !ok {
		err = errors.New("the secret does not exist")
	}
	if err != nil {
		addAWSError(diags, "read", "mesh CA secret", caName, err)
		return "", false
	}
	var dns []string
	diags.Append(data.DNSNames.ElementsAs(ctx, &dns, false)...)
	if diags.HasError() {
		return "", false
	}
	value, got, err := issueMeshCertificate(caSecret.value, data.CACertPEM.ValueString(), data.Service.ValueString(), dns, data.ValidityHours.ValueInt64(), data.metadata(), r.clock())
	if err != nil {
		diags.AddError("Cannot issue mesh certificate", fmt.Sprintf("Could not issue the certificate of %q from the CA in secret %q: %s", data.Service.ValueString(), caName, err))
		return "", false
	}
	setIssued(data, got)
	return value, true
}

func (r *MeshCertificateResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data MeshCertificateResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	value, ok := r.issue(ctx, &data, &resp.Diagnostics)
	if !ok {
		return
	}
	name := data.Name.ValueString()
	arn, version, err := writeNewMeshSecret(ctx, r.api, data.CreateSecret.ValueBool(), newMeshSecret{
		name: name, description: "Portico mesh certificate of " + data.Service.ValueString() + " (managed by Terraform)",
		tags:         map[string]string{tagMeshKind: "certificate", tagCASecret: data.CASecret.ValueString()},
		recoveryDays: data.RecoveryWindow.ValueInt64(),
	}, value)
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "mesh certificate secret", name, err)
		return
	}
	tflog.Info(ctx, "issued mesh certificate", map[string]any{"secret": name, "service": data.Service.ValueString(), "not_after": data.NotAfter.ValueString()})
	data.ID, data.ARN, data.VersionID = data.Name, types.StringValue(arn), types.StringValue(version)
	all, err := r.applyTags(ctx, arn, data.Tags, types.MapNull(types.StringType))
	if err != nil {
		addAWSError(&resp.Diagnostics, "tag", "mesh certificate secret", name, err)
	}
	data.TagsAll = all
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// Read refreshes the certificate from its secret's description while the
// secret's current version is the one the provider wrote (no
// GetSecretValue); after an import, or when another version became current,
// it reads the value and everything the value records.
func (r *MeshCertificateResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data MeshCertificateResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := data.ID.ValueString()
	s, ok, err := describeMeshSecret(ctx, r.api, name)
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "mesh certificate secret", name, err)
		return
	}
	if !ok {
		resp.State.RemoveResource(ctx)
		return
	}
	data.Name, data.ARN = data.ID, types.StringValue(s.arn)
	if err := r.readTags(ctx, s.arn, &data.Tags, &data.TagsAll); err != nil {
		addAWSError(&resp.Diagnostics, "read", "mesh certificate secret", name, err)
		return
	}
	readSecretSettings(&data.CreateSecret, &data.RecoveryWindow, s.tags, "certificate")
	if !data.VersionID.IsNull() && data.VersionID.ValueString() == s.version && data.CertPEM.ValueString() != "" {
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	tflog.Info(ctx, "reading the mesh certificate secret's value", map[string]any{"secret": name, "version": s.version})
	if s, ok, err = readMeshSecret(ctx, r.api, name); err != nil || !ok {
		if err != nil {
			addAWSError(&resp.Diagnostics, "read", "mesh certificate secret", name, err)
		} else {
			resp.State.RemoveResource(ctx)
		}
		return
	}
	data.VersionID = types.StringValue(s.version)
	if meta, ok := metadataOf(s.value); ok {
		if meta.CASecret != "" {
			data.CASecret = types.StringValue(meta.CASecret)
		}
		data.RenewBeforeHours = types.Int64Value(meta.RenewBeforeHours)
	} else if ca, ok := s.tags[tagCASecret]; ok {
		data.CASecret = types.StringValue(ca)
	}
	if data.RenewBeforeHours.IsNull() { // after an import of a secret without metadata
		data.RenewBeforeHours = types.Int64Value(meshCertRenewBeforeHours)
	}
	got, err := parseIssued(s.value)
	if err != nil {
		// The plan re-issues a certificate whose secret no longer holds one.
		tflog.Warn(ctx, "mesh certificate secret holds no usable certificate", map[string]any{"secret": name, "error": err.Error()})
		data.CertPEM, data.NotAfter = types.StringValue(""), types.StringValue("")
		if data.DNSNames.IsNull() {
			data.DNSNames = types.ListValueMust(types.StringType, []attr.Value{})
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	setIssued(&data, got)
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// ModifyPlan plans a re-issue (new cert_pem and not_after) when the
// identity, validity or CA changed, the certificate is due for renewal, or
// its secret holds no usable certificate; other updates keep the
// certificate.
func (r *MeshCertificateResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	r.modifyPlan(ctx, req, resp)
	if !resp.Diagnostics.HasError() {
		modifyPlanTags(ctx, req, resp, r.defaults)
	}
}

func (r *MeshCertificateResource) modifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var plan, state MeshCertificateResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	reason := ""
	switch {
	case state.CertPEM.ValueString() == "":
		reason = "the secret holds no usable certificate"
	case !plan.Service.Equal(state.Service):
		reason = "service changed"
	case !plan.DNSNames.Equal(state.DNSNames):
		reason = "dns_names changed"
	case !plan.ValidityHours.Equal(state.ValidityHours):
		reason = "validity_hours changed"
	case plan.CACertPEM.IsUnknown() || !samePEMCertificate(plan.CACertPEM.ValueString(), state.CACertPEM.ValueString()):
		reason = "the CA changed"
	case !plan.RenewBeforeHours.IsUnknown() && renewalDue(state.NotAfter.ValueString(), plan.RenewBeforeHours.ValueInt64(), r.clock()):
		reason = "the certificate expires within renew_before_hours"
	}
	if reason == "" {
		plan.CertPEM, plan.NotAfter, plan.VersionID = state.CertPEM, state.NotAfter, state.VersionID
	} else {
		tflog.Info(ctx, "planning a mesh certificate re-issue", map[string]any{"secret": state.ID.ValueString(), "reason": reason})
		plan.CertPEM, plan.NotAfter, plan.VersionID = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *MeshCertificateResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var data, state MeshCertificateResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data.ID, data.ARN = state.ID, state.ARN
	name := data.ID.ValueString()
	if !data.TagsAll.Equal(state.TagsAll) {
		all, err := r.applyTags(ctx, state.ARN.ValueString(), data.Tags, state.TagsAll)
		if err != nil {
			addAWSError(&resp.Diagnostics, "tag", "mesh certificate secret", name, err)
			return
		}
		data.TagsAll = all
	}
	if err := updateRecoveryWindow(ctx, r.api, name, data.CreateSecret, state.RecoveryWindow, data.RecoveryWindow); err != nil {
		addAWSError(&resp.Diagnostics, "update", "mesh certificate secret", name, err)
		return
	}
	if !data.CertPEM.IsUnknown() { // no re-issue planned
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	value, ok := r.issue(ctx, &data, &resp.Diagnostics)
	if !ok {
		return
	}
	version, err := putMeshSecret(ctx, r.api, name, value)
	if err != nil {
		addAWSError(&resp.Diagnostics, "re-issue", "mesh certificate secret", name, err)
		return
	}
	data.VersionID = types.StringValue(version)
	tflog.Info(ctx, "re-issued mesh certificate", map[string]any{"secret": name, "service": data.Service.ValueString(), "not_after": data.NotAfter.ValueString()})
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *MeshCertificateResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data MeshCertificateResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := deleteOwnMeshSecret(ctx, r.api, data.ID.ValueString(), data.CreateSecret, data.RecoveryWindow); err != nil {
		addAWSError(&resp.Diagnostics, "delete", "mesh certificate secret", data.ID.ValueString(), err)
	}
}

// ImportState takes the secret name.
func (r *MeshCertificateResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
