package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

// policyValidator accepts a mesh traffic policy as JSON: known fields only,
// values that mesh.Policy.Validate accepts, and small enough for Cloud Map's
// service attributes.
type policyValidator struct{}

var _ validator.String = policyValidator{}

func (policyValidator) Description(context.Context) string {
	return "value must be a Portico mesh traffic policy as JSON (see pkg/mesh.Policy): known fields only, version weights summing to 100, percentages within 0..100"
}

func (v policyValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v policyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := encodePolicy(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid traffic policy", err.Error())
	}
}

// encodePolicy parses a policy's JSON and returns the service attributes that
// hold it.
func encodePolicy(s string) (map[string]string, error) {
	p, err := mesh.ParsePolicy([]byte(s))
	if err != nil {
		return nil, err
	}
	return cloudmap.EncodePolicy(p)
}

// samePolicy reports whether two policy JSON texts mean the same policy.
func samePolicy(a, b string) bool {
	pa, errA := mesh.ParsePolicy([]byte(a))
	pb, errB := mesh.ParsePolicy([]byte(b))
	if errA != nil || errB != nil {
		return a == b
	}
	ja, _ := json.Marshal(pa)
	jb, _ := json.Marshal(pb)
	return string(ja) == string(jb)
}

// readPolicy sets data.Policy from the service's attributes. The text in
// state is kept when it means the same policy, so formatting never shows as
// a change; otherwise the policy in Cloud Map is written as compact JSON.
func (r *ServiceResource) readPolicy(ctx context.Context, data *ServiceResourceModel, diags *diag.Diagnostics) error {
	attrs, err := r.serviceAttributes(ctx, data.ID.ValueString())
	if err != nil {
		return err
	}
	p, ok, err := cloudmap.DecodePolicy(attrs)
	switch {
	case err != nil:
		diags.AddWarning("Unreadable traffic policy",
			fmt.Sprintf("The traffic policy of Cloud Map service %s cannot be read (%s); it will be written again if the configuration sets one.", data.ID.ValueString(), err))
		data.Policy = types.StringNull()
	case !ok:
		data.Policy = types.StringNull()
	default:
		b, _ := json.Marshal(p)
		if data.Policy.IsNull() || data.Policy.IsUnknown() || !samePolicy(data.Policy.ValueString(), string(b)) {
			data.Policy = types.StringValue(string(b))
		}
	}
	return nil
}

func (r *ServiceResource) serviceAttributes(ctx context.Context, id string) (map[string]string, error) {
	out, err := r.clients.ServiceDiscovery.GetServiceAttributes(ctx, &servicediscovery.GetServiceAttributesInput{ServiceId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	if out.ServiceAttributes == nil {
		return nil, nil
	}
	return out.ServiceAttributes.Attributes, nil
}

// writePolicy stores policy (null removes it) in the service's attributes:
// the new attributes in one UpdateServiceAttributes call, then the policy
// attributes the new policy does not use are deleted.
func (r *ServiceResource) writePolicy(ctx context.Context, id string, policy types.String) error {
	var next map[string]string
	if !policy.IsNull() && !policy.IsUnknown() {
		var err error
		if next, err = encodePolicy(policy.ValueString()); err != nil {
			return err
		}
	}
	current, err := r.serviceAttributes(ctx, id)
	if err != nil {
		return fmt.Errorf("read service attributes: %w", err)
	}
	if len(next) > 0 {
		if _, err := r.clients.ServiceDiscovery.UpdateServiceAttributes(ctx, &servicediscovery.UpdateServiceAttributesInput{
			ServiceId: aws.String(id), Attributes: next,
		}); err != nil {
			return fmt.Errorf("write service attributes: %w", err)
		}
	}
	if stale := cloudmap.StalePolicyKeys(current, next); len(stale) > 0 {
		if _, err := r.clients.ServiceDiscovery.DeleteServiceAttributes(ctx, &servicediscovery.DeleteServiceAttributesInput{
			ServiceId: aws.String(id), Attributes: stale,
		}); err != nil {
			return fmt.Errorf("delete service attributes %v: %w", stale, err)
		}
	}
	return nil
}
