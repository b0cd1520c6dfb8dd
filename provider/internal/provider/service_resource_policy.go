package provider

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

// A mesh traffic policy lives in a Cloud Map service's attributes
// (cloudmap.EncodePolicy). portico_service writes it for the services it
// creates, portico_service_policy for any service; both use these helpers.

// policyAPI is the part of the Cloud Map client that reads and writes a
// service's policy; *servicediscovery.Client implements it.
type policyAPI interface {
	GetServiceAttributes(ctx context.Context, in *servicediscovery.GetServiceAttributesInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.GetServiceAttributesOutput, error)
	UpdateServiceAttributes(ctx context.Context, in *servicediscovery.UpdateServiceAttributesInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.UpdateServiceAttributesOutput, error)
	DeleteServiceAttributes(ctx context.Context, in *servicediscovery.DeleteServiceAttributesInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.DeleteServiceAttributesOutput, error)
}

var _ policyAPI = (*servicediscovery.Client)(nil)

// policyValidator accepts a mesh traffic policy as JSON: known fields only,
// values that mesh.Policy.Validate accepts, and small enough for Cloud Map's
// service attributes. Each faulty part of the policy is its own diagnostic.
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
	doc := req.ConfigValue.ValueString()
	if problems := policyProblems(doc); len(problems) > 0 {
		for _, p := range problems {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid traffic policy", p.String())
		}
		return
	}
	if _, err := encodePolicy(doc); err != nil {
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

// serviceAttributes are a Cloud Map service's attributes.
func serviceAttributes(ctx context.Context, api policyAPI, id string) (map[string]string, error) {
	out, err := api.GetServiceAttributes(ctx, &servicediscovery.GetServiceAttributesInput{ServiceId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	if out.ServiceAttributes == nil {
		return nil, nil
	}
	return out.ServiceAttributes.Attributes, nil
}

// readServicePolicy is the policy in the attributes of service id as JSON
// (null when there is none), and a problem when the attributes hold one that
// does not parse (null too, so that a configured policy is written again).
// On refresh the framework keeps the state's spelling of the same policy
// (jsonMeshPolicy). isNotFound recognises a missing service.
func readServicePolicy(ctx context.Context, api policyAPI, id string) (policy jsonValue, problem string, err error) {
	attrs, err := serviceAttributes(ctx, api, id)
	if err != nil {
		return jsonNull(jsonMeshPolicy), "", err
	}
	p, ok, err := cloudmap.DecodePolicy(attrs)
	switch {
	case err != nil:
		return jsonNull(jsonMeshPolicy), err.Error(), nil
	case !ok:
		return jsonNull(jsonMeshPolicy), "", nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return jsonNull(jsonMeshPolicy), "", err
	}
	// Spelt as jsonencode spells it (sorted keys, compact), so that an
	// imported policy equals a jsonencode configuration to the letter:
	// Terraform compares a configured value with state as text, and
	// semantic equality only keeps the state's spelling on refresh and apply.
	canonical, err := canonicalJSON(string(b))
	if err != nil {
		return jsonNull(jsonMeshPolicy), "", err
	}
	return jsonString(jsonMeshPolicy, canonical), "", nil
}

// writeServicePolicy stores policy (null removes it) in the attributes of
// service id: the new attributes in one UpdateServiceAttributes call, then
// the policy attributes the new policy does not use are deleted. Attributes
// that are not Portico's are left alone.
func writeServicePolicy(ctx context.Context, api policyAPI, id string, policy jsonValue) error {
	var next map[string]string
	if !policy.IsNull() && !policy.IsUnknown() {
		var err error
		if next, err = encodePolicy(policy.ValueString()); err != nil {
			return err
		}
	}
	current, err := serviceAttributes(ctx, api, id)
	if err != nil {
		return fmt.Errorf("read service attributes: %w", err)
	}
	if len(next) > 0 {
		if _, err := api.UpdateServiceAttributes(ctx, &servicediscovery.UpdateServiceAttributesInput{
			ServiceId: aws.String(id), Attributes: next,
		}); err != nil {
			return fmt.Errorf("write service attributes: %w", err)
		}
	}
	if stale := cloudmap.StalePolicyKeys(current, next); len(stale) > 0 {
		if _, err := api.DeleteServiceAttributes(ctx, &servicediscovery.DeleteServiceAttributesInput{
			ServiceId: aws.String(id), Attributes: stale,
		}); err != nil {
			return fmt.Errorf("delete service attributes %v: %w", stale, err)
		}
	}
	return nil
}
