package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/portico-gw/portico/pkg/mesh/mtls"
	mtlssm "github.com/portico-gw/portico/pkg/mesh/mtls/secretsmanager"
)

var (
	_ resource.Resource                   = &MeshCAResource{}
	_ resource.ResourceWithConfigure      = &MeshCAResource{}
	_ resource.ResourceWithImportState    = &MeshCAResource{}
	_ resource.ResourceWithModifyPlan     = &MeshCAResource{}
	_ resource.ResourceWithValidateConfig = &MeshCAResource{}
)

// Defaults of portico_mesh_ca.
const (
	meshCAValidityHours    = 365 * 24
	meshCARenewBeforeHours = 30 * 24
)

// MeshCAResource manages a development mesh CA kept in a Secrets Manager
// secret: the CA certificate, its key and the bundle services trust.
type MeshCAResource struct {
	api secretsAPI
	secretTags
	// now is the clock; nil means time.Now.
	now func() time.Time
}

// MeshCAResourceModel is the state of a portico_mesh_ca.
type MeshCAResourceModel struct {
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	ARN              types.String `tfsdk:"arn"`
	Tags             types.Map    `tfsdk:"tags"`
	TagsAll          types.Map    `tfsdk:"tags_all"`
	TrustDomain      types.String `tfsdk:"trust_domain"`
	ValidityHours    types.Int64  `tfsdk:"validity_hours"`
	RenewBeforeHours types.Int64  `tfsdk:"renew_before_hours"`
	Rotate           types.String `tfsdk:"rotate"`
	CertPEM          types.String `tfsdk:"cert_pem"`
	CABundlePEM      types.String `tfsdk:"ca_bundle_pem"`
	NotAfter         types.String `tfsdk:"not_after"`
	VersionID        types.String `tfsdk:"version_id"`
	CreateSecret     types.Bool   `tfsdk:"create_secret"`
	RecoveryWindow   types.Int64  `tfsdk:"recovery_window_in_days"`
}

// metadata is what the CA's secret value records beside the CA.
func (m MeshCAResourceModel) metadata() meshMetadata {
	return meshMetadata{Rotate: m.Rotate.ValueStringPointer(), RenewBeforeHours: m.RenewBeforeHours.ValueInt64()}
}

// NewMeshCAResource returns a portico_mesh_ca resource.
func NewMeshCAResource() resource.Resource {
	return &MeshCAResource{}
}

func (r *MeshCAResource) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

func (r *MeshCAResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_mesh_ca"
}

func (r *MeshCAResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A **development** mesh CA (ECDSA P-256) for Portico's mutual TLS, kept in a Secrets Manager secret " +
			"whose value is `{\"cert\": PEM, \"key\": PEM, \"ca_bundle\": PEM, \"portico\": {...}}`; the private key is only in the " +
			"secret, never in the state. `portico_mesh_certificate` issues service certificates from it. " +
			"Changing `validity_hours` or `rotate`, or coming within `renew_before_hours` of expiry, rotates the CA in place " +
			"(a new secret version); `ca_bundle` then holds the new and the previous CA, so peers trust both until the next rotation.\n\n" +
			"The provider creates the secret, or with `create_secret = false` writes versions into a secret created elsewhere " +
			"(`aws_secretsmanager_secret` with the team's KMS key, resource policy and replication), which then needs only " +
			"`secretsmanager:DescribeSecret`, `GetSecretValue` and `PutSecretValue`. A refresh reads only the secret's description " +
			"(`DescribeSecret`) while its current version is the one the provider wrote, so a plan-only role needs no access to " +
			"the CA's key. A secret the provider created is deleted with a recovery window (`recovery_window_in_days`), and a " +
			"replacement under the same name restores it. Production meshes should use a real PKI (for example AWS Private CA).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The secret name, the import ID.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the Secrets Manager secret that holds the CA, for example `portico/mesh/ca`. Changing it replaces the CA.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.RegexMatches(secretNamePattern, "must be 1 to 512 letters, digits and /_+=.@-")},
			},
			"tags":     tagsAttribute(),
			"tags_all": tagsAllAttribute(),
			"arn": schema.StringAttribute{
				MarkdownDescription: "ARN of the secret, for IAM policies (`secretsmanager:GetSecretValue`).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"trust_domain": schema.StringAttribute{
				MarkdownDescription: "Trust domain of the identities the CA issues: `spiffe://<trust_domain>/<service>`. Default `portico`. Changing it replaces the CA.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString("portico"),
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.RegexMatches(dnsNamePattern, "must be a bare lower-case name such as portico")},
			},
			"validity_hours": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How long the CA certificate is valid, in hours. Default %d (a year). Changing it rotates the CA.", meshCAValidityHours),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(meshCAValidityHours),
				Validators:          []validator.Int64{int64validator.Between(2, 20*365*24)},
			},
			"renew_before_hours": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Plan a rotation when the CA expires within this many hours. Default %d (30 days). Must be less than `validity_hours`.", meshCARenewBeforeHours),
				Optional:            true,
				Computed:            true,
				Default:             int64default.StaticInt64(meshCARenewBeforeHours),
				Validators:          []validator.Int64{int64validator.AtLeast(0)},
			},
			"rotate": schema.StringAttribute{
				MarkdownDescription: "Any value; changing it rotates the CA now (for example a date, `\"2026-11\"`).",
				Optional:            true,
			},
			"cert_pem": schema.StringAttribute{
				MarkdownDescription: "The current CA certificate, PEM. Give it to `portico_mesh_certificate.ca_cert_pem` so that a rotation re-issues the certificates in the same apply.",
				Computed:            true,
			},
			"ca_bundle_pem": schema.StringAttribute{
				MarkdownDescription: "The CAs peers should trust, PEM: the current CA, and after a rotation the previous one too.",
				Computed:            true,
			},
			"not_after": schema.StringAttribute{
				MarkdownDescription: "When the CA certificate expires (RFC 3339, UTC).",
				Computed:            true,
			},
			"version_id": schema.StringAttribute{
				MarkdownDescription: "Id of the secret version the provider last wrote. A current version with another id (written " +
					"outside Terraform) is read in full on refresh and shows as drift.",
				Computed: true,
			},
			"create_secret": schema.BoolAttribute{
				MarkdownDescription: "Create the secret (default `true`), or write the CA as new versions of an existing secret " +
					"named `name` (`false`), which destroying the resource leaves in place. Changing it replaces the CA.",
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

func (r *MeshCAResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.api = secretsFrom(req, resp)
	r.secretTags = secretTagsFrom(req)
}

func (r *MeshCAResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var data MeshCAResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validity, renew := data.ValidityHours, data.RenewBeforeHours
	if validity.IsNull() {
		validity = types.Int64Value(meshCAValidityHours)
	}
	if renew.IsNull() {
		renew = types.Int64Value(meshCARenewBeforeHours)
	}
	if !validity.IsUnknown() && !renew.IsUnknown() && renew.ValueInt64() >= validity.ValueInt64() {
		resp.Diagnostics.AddAttributeError(path.Root("renew_before_hours"), "Renewal window too long",
			fmt.Sprintf("renew_before_hours (%d) must be less than validity_hours (%d), or every plan would rotate the CA.", renew.ValueInt64(), validity.ValueInt64()))
	}
	checkRecoveryWindow(data.CreateSecret, data.RecoveryWindow, &resp.Diagnostics)
}

// issueMeshCA makes a CA for trustDomain valid for validityHours from now,
// and the secret value that holds it. The bundle holds the new CA and
// previous (a PEM CA certificate, or ""), when previous is still valid.
func issueMeshCA(trustDomain string, validityHours int64, previous string, meta meshMetadata, now time.Time) (value string, ca *mtls.CA, bundle string, err error) {
	ca, err = mtls.NewCA(trustDomain, now.Add(-backdate), now.Add(time.Duration(validityHours)*time.Hour))
	if err != nil {
		return "", nil, "", err
	}
	bundle = string(ca.CertPEM)
	if prev, err := parseCertificates([]byte(previous)); err == nil && len(prev) > 0 && prev[0].IsCA && now.Before(prev[0].NotAfter) && !prev[0].Equal(ca.Cert) {
		bundle += encodeCertificate(prev[0])
	}
	key, err := ca.KeyPEM()
	if err != nil {
		return "", nil, "", err
	}
	value, err = mtlssm.Encode(mtls.Material{CertPEM: ca.CertPEM, KeyPEM: key, CAPEM: []byte(bundle)})
	if err != nil {
		return "", nil, "", err
	}
	value, err = withMetadata(value, meta)
	return value, ca, bundle, err
}

// setCA records ca and bundle in data.
func setCA(data *MeshCAResourceModel, ca *mtls.CA, bundle string) {
	data.TrustDomain = types.StringValue(ca.TrustDomain)
	data.ValidityHours = types.Int64Value(validityHours(ca.Cert))
	data.CertPEM = types.StringValue(string(ca.CertPEM))
	data.CABundlePEM = types.StringValue(bundle)
	data.NotAfter = types.StringValue(formatTime(ca.Cert.NotAfter))
}

func (r *MeshCAResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var data MeshCAResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := data.Name.ValueString()
	value, ca, bundle, err := issueMeshCA(data.TrustDomain.ValueString(), data.ValidityHours.ValueInt64(), "", data.metadata(), r.clock())
	if err != nil {
		resp.Diagnostics.AddError("Cannot issue mesh CA", err.Error())
		return
	}
	arn, version, err := writeNewMeshSecret(ctx, r.api, data.CreateSecret.ValueBool(), newMeshSecret{
		name: name, description: "Portico mesh CA (managed by Terraform)",
		tags: map[string]string{tagMeshKind: "ca"}, recoveryDays: data.RecoveryWindow.ValueInt64(),
	}, value)
	if err != nil {
		addAWSError(&resp.Diagnostics, "create", "mesh CA secret", name, err)
		return
	}
	tflog.Info(ctx, "issued mesh CA", map[string]any{"secret": name, "not_after": formatTime(ca.Cert.NotAfter)})
	data.ID, data.ARN, data.VersionID = data.Name, types.StringValue(arn), types.StringValue(version)
	all, err := r.applyTags(ctx, arn, data.Tags, types.MapNull(types.StringType))
	if err != nil {
		addAWSError(&resp.Diagnostics, "tag", "mesh CA secret", name, err)
	}
	data.TagsAll = all
	setCA(&data, ca, bundle)
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// Read refreshes the CA from its secret's description while the secret's
// current version is the one the provider wrote (no GetSecretValue, so no
// access to the CA's key); after an import, or when another version became
// current, it reads the value and everything the value records.
func (r *MeshCAResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var data MeshCAResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := data.ID.ValueString()
	s, ok, err := describeMeshSecret(ctx, r.api, name)
	if err != nil {
		addAWSError(&resp.Diagnostics, "read", "mesh CA secret", name, err)
		return
	}
	if !ok {
		resp.State.RemoveResource(ctx)
		return
	}
	data.Name, data.ARN = data.ID, types.StringValue(s.arn)
	if err := r.readTags(ctx, s.arn, &data.Tags, &data.TagsAll); err != nil {
		addAWSError(&resp.Diagnostics, "read", "mesh CA secret", name, err)
		return
	}
	readSecretSettings(&data.CreateSecret, &data.RecoveryWindow, s.tags, "ca")
	if !data.VersionID.IsNull() && data.VersionID.ValueString() == s.version && data.CertPEM.ValueString() != "" {
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	tflog.Info(ctx, "reading the mesh CA secret's value", map[string]any{"secret": name, "version": s.version})
	if s, ok, err = readMeshSecret(ctx, r.api, name); err != nil || !ok {
		if err != nil {
			addAWSError(&resp.Diagnostics, "read", "mesh CA secret", name, err)
		} else {
			resp.State.RemoveResource(ctx)
		}
		return
	}
	data.VersionID = types.StringValue(s.version)
	if meta, ok := metadataOf(s.value); ok {
		data.Rotate = types.StringPointerValue(meta.Rotate)
		data.RenewBeforeHours = types.Int64Value(meta.RenewBeforeHours)
	}
	if data.RenewBeforeHours.IsNull() { // after an import of a secret without metadata
		data.RenewBeforeHours = types.Int64Value(meshCARenewBeforeHours)
	}
	if data.ValidityHours.IsNull() {
		data.ValidityHours = types.Int64Value(meshCAValidityHours)
	}
	if data.TrustDomain.IsNull() {
		data.TrustDomain = types.StringValue("portico")
	}
	m, err := mtlssm.Decode(s.value)
	var ca *mtls.CA
	if err == nil {
		ca, err = mtls.ParseCA(m.CertPEM, m.KeyPEM)
	}
	if err != nil {
		// The plan re-issues a CA whose secret no longer holds one.
		tflog.Warn(ctx, "mesh CA secret holds no usable CA", map[string]any{"secret": name, "error": err.Error()})
		data.CertPEM, data.CABundlePEM, data.NotAfter = types.StringValue(""), types.StringValue(""), types.StringValue("")
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	setCA(&data, ca, string(m.CAPEM))
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// ModifyPlan plans a rotation (new cert_pem, ca_bundle_pem and not_after)
// when validity_hours or rotate changed, the CA is due for renewal, or its
// secret holds no usable CA; other updates keep the CA.
func (r *MeshCAResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	r.modifyPlan(ctx, req, resp)
	if !resp.Diagnostics.HasError() {
		modifyPlanTags(ctx, req, resp, r.defaults)
	}
}

func (r *MeshCAResource) modifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var plan, state MeshCAResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	reason := ""
	switch {
	case state.CertPEM.ValueString() == "":
		reason = "the secret holds no usable CA"
	case !plan.ValidityHours.Equal(state.ValidityHours):
		reason = "validity_hours changed"
	case !plan.Rotate.Equal(state.Rotate):
		reason = "rotate changed"
	case !plan.RenewBeforeHours.IsUnknown() && renewalDue(state.NotAfter.ValueString(), plan.RenewBeforeHours.ValueInt64(), r.clock()):
		reason = "the CA expires within renew_before_hours"
	}
	if reason == "" {
		plan.CertPEM, plan.CABundlePEM, plan.NotAfter, plan.VersionID = state.CertPEM, state.CABundlePEM, state.NotAfter, state.VersionID
	} else {
		tflog.Info(ctx, "planning a mesh CA rotation", map[string]any{"secret": state.ID.ValueString(), "reason": reason})
		plan.CertPEM, plan.CABundlePEM, plan.NotAfter = types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
		plan.VersionID = types.StringUnknown()
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *MeshCAResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var data, state MeshCAResourceModel
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
			addAWSError(&resp.Diagnostics, "tag", "mesh CA secret", name, err)
			return
		}
		data.TagsAll = all
	}
	if err := updateRecoveryWindow(ctx, r.api, name, data.CreateSecret, state.RecoveryWindow, data.RecoveryWindow); err != nil {
		addAWSError(&resp.Diagnostics, "update", "mesh CA secret", name, err)
		return
	}
	if !data.CertPEM.IsUnknown() { // no rotation planned
		resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
		return
	}
	value, ca, bundle, err := issueMeshCA(data.TrustDomain.ValueString(), data.ValidityHours.ValueInt64(), state.CertPEM.ValueString(), data.metadata(), r.clock())
	if err != nil {
		resp.Diagnostics.AddError("Cannot issue mesh CA", err.Error())
		return
	}
	version, err := putMeshSecret(ctx, r.api, name, value)
	if err != nil {
		addAWSError(&resp.Diagnostics, "rotate", "mesh CA secret", name, err)
		return
	}
	tflog.Info(ctx, "rotated mesh CA", map[string]any{"secret": name, "not_after": formatTime(ca.Cert.NotAfter)})
	data.VersionID = types.StringValue(version)
	setCA(&data, ca, bundle)
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

func (r *MeshCAResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var data MeshCAResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := deleteOwnMeshSecret(ctx, r.api, data.ID.ValueString(), data.CreateSecret, data.RecoveryWindow); err != nil {
		addAWSError(&resp.Diagnostics, "delete", "mesh CA secret", data.ID.ValueString(), err)
	}
}

// ImportState takes the secret name.
func (r *MeshCAResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
