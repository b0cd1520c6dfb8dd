package provider

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// lambdaARNValidator accepts Lambda function ARNs.
type lambdaARNValidator struct{}

var _ validator.String = lambdaARNValidator{}

func (lambdaARNValidator) Description(context.Context) string {
	return "value must be a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>)"
}

func (v lambdaARNValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v lambdaARNValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := lambdaInvokeARN(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Lambda function ARN", fmt.Sprintf("%s: %s", v.Description(ctx), err))
	}
}

// ipv4Validator accepts dotted-quad IPv4 addresses.
type ipv4Validator struct{}

var _ validator.String = ipv4Validator{}

func (ipv4Validator) Description(context.Context) string {
	return "value must be an IPv4 address such as 10.0.0.7"
}

func (v ipv4Validator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v ipv4Validator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	addr, err := netip.ParseAddr(req.ConfigValue.ValueString())
	if err != nil || !addr.Is4() {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid IPv4 address",
			fmt.Sprintf("%s, got %q", v.Description(ctx), req.ConfigValue.ValueString()))
	}
}

// reservedKeysValidator refuses map keys that the provider sets itself.
type reservedKeysValidator struct {
	reserved []string
}

var _ validator.Map = reservedKeysValidator{}

func (v reservedKeysValidator) Description(context.Context) string {
	return fmt.Sprintf("keys must not be any of %v; the provider sets them from other attributes", v.reserved)
}

func (v reservedKeysValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v reservedKeysValidator) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elems := req.ConfigValue.Elements()
	for _, k := range v.reserved {
		if _, ok := elems[k]; ok {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Reserved attribute name",
				fmt.Sprintf("%q is reserved: %s.", k, v.Description(ctx)))
		}
	}
}
