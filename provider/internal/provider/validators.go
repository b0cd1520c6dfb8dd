package provider

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
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

// patternValidator accepts strings that match a pattern, or that check
// accepts when the rule is more than a regular expression can say; what says
// in words what is accepted.
type patternValidator struct {
	what    string
	pattern *regexp.Regexp
	check   func(string) bool
}

var _ validator.String = patternValidator{}

func (v patternValidator) Description(context.Context) string { return "value must be " + v.what }

func (v patternValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v patternValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	s := req.ConfigValue.ValueString()
	ok := v.pattern == nil || v.pattern.MatchString(s)
	if ok && v.check != nil {
		ok = v.check(s)
	}
	if !ok {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", fmt.Sprintf("%s, got %q", v.Description(ctx), s))
	}
}

// Names and identifiers as AWS checks them, so that a value AWS would refuse
// is refused at plan time instead, with the rule in the message.
var (
	// subnetIDPattern and securityGroupIDPattern match EC2 IDs.
	subnetIDPattern        = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	securityGroupIDPattern = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)

	// tableNameValidator is DynamoDB's rule for table names.
	tableNameValidator = patternValidator{
		what:    "a DynamoDB table name: 3 to 255 letters, digits, '_', '-' or '.'",
		pattern: regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`),
	}
	// functionNameValidator is Lambda's rule for function names.
	functionNameValidator = patternValidator{
		what:    "a Lambda function name: 1 to 64 letters, digits, '-' or '_'",
		pattern: regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`),
	}
	// roleARNValidator accepts IAM role ARNs.
	roleARNValidator = patternValidator{
		what:    "an IAM role ARN such as arn:aws:iam::123456789012:role/portico-aggregator",
		pattern: regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/([\x21-\x7e]+/)*[\w+=,.@-]{1,64}$`),
	}
	// handlerValidator is Lambda's rule for handlers.
	handlerValidator = patternValidator{
		what:    "a Lambda handler: 1 to 128 characters without white space",
		pattern: regexp.MustCompile(`^[^\s]{1,128}$`),
	}
	// stageNameValidator is API Gateway's rule for stage names.
	stageNameValidator = patternValidator{
		what:    "an API Gateway stage name: 1 to 128 letters, digits, '-' or '_'",
		pattern: regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`),
	}
	// restAPIIDValidator accepts API Gateway REST API ids.
	restAPIIDValidator = patternValidator{
		what:    "a REST API id such as a1b2c3d4e5 (lower-case letters and digits)",
		pattern: regexp.MustCompile(`^[a-z0-9]{1,32}$`),
	}
	// namespaceNameValidator is Cloud Map's rule for HTTP namespace names.
	namespaceNameValidator = patternValidator{
		what:    "a Cloud Map HTTP namespace name: 1 to 1024 printable ASCII characters without spaces",
		pattern: regexp.MustCompile(`^[!-~]+$`),
		check:   func(s string) bool { return len(s) <= 1024 },
	}
	// namespaceIDValidator accepts Cloud Map namespace ids.
	namespaceIDValidator = patternValidator{
		what:    "a Cloud Map namespace id such as ns-abcdef0123456789",
		pattern: regexp.MustCompile(`^ns-[a-zA-Z0-9]{1,64}$`),
	}
	// serviceIDValidator accepts Cloud Map service ids.
	serviceIDValidator = patternValidator{
		what:    "a Cloud Map service id such as srv-abcdef0123456789",
		pattern: regexp.MustCompile(`^srv-[a-zA-Z0-9]{1,64}$`),
	}
	// serviceNameValidator is Cloud Map's rule for service names: DNS labels
	// of letters, digits, '-' and '_', not starting or ending with '-', joined
	// by dots, 127 characters at most.
	serviceNameValidator = patternValidator{
		what:  "a Cloud Map service name: up to 127 characters of dot-separated labels of letters, digits, '-' and '_' (a label neither starts nor ends with '-')",
		check: validServiceName,
	}
	// instanceIDValidator is Cloud Map's rule for instance ids.
	instanceIDValidator = patternValidator{
		what:    "a Cloud Map instance id: 1 to 64 letters, digits or any of _/:.@-",
		pattern: regexp.MustCompile(`^[0-9a-zA-Z_/:.@-]{1,64}$`),
	}
)

var serviceLabelPattern = regexp.MustCompile(`^([a-zA-Z0-9_][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9_])$`)

// validServiceName is Cloud Map's service name rule.
func validServiceName(s string) bool {
	if s == "" || len(s) > 127 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !serviceLabelPattern.MatchString(label) {
			return false
		}
	}
	return true
}

// retiredRuntimes are the Lambda runtimes AWS no longer lets anyone create a
// function with (their deprecation's "block function create" date has long
// passed). Runtimes retired later are refused by AWS at apply.
var retiredRuntimes = map[string]bool{
	"nodejs": true, "nodejs4.3": true, "nodejs4.3-edge": true, "nodejs6.10": true, "nodejs8.10": true,
	"nodejs10.x": true, "nodejs12.x": true, "python2.7": true, "python3.6": true, "python3.7": true,
	"dotnetcore1.0": true, "dotnetcore2.0": true, "dotnetcore2.1": true, "dotnetcore3.1": true,
	"ruby2.5": true, "ruby2.7": true, "go1.x": true, "java8": true, "provided": true,
}

// lambdaRuntimes are the runtime identifiers a function may be created with:
// the SDK's list without the retired ones.
func lambdaRuntimes() []string {
	var out []string
	for _, r := range lambdatypes.Runtime("").Values() {
		if !retiredRuntimes[string(r)] {
			out = append(out, string(r))
		}
	}
	return out
}

// Lambda's rules for environment variables.
var (
	envKeyPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]+$`)
	// reservedEnvKeys are set by Lambda itself and cannot be configured.
	reservedEnvKeys = []string{
		"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
		"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
		"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
	}
)

// maxEnvironmentBytes is Lambda's limit on the environment: 4 KB of keys and values.
const maxEnvironmentBytes = 4096

// environmentValidator checks a function's environment variables the way
// Lambda does: names, reserved names and total size. Each bad name is its own
// diagnostic.
type environmentValidator struct{}

var _ validator.Map = environmentValidator{}

func (environmentValidator) Description(context.Context) string {
	return "keys must be letters, digits and '_', starting with a letter, and not one of Lambda's reserved names; keys and values together at most 4 KB"
}

func (v environmentValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v environmentValidator) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	size, known := 0, true
	for k, val := range req.ConfigValue.Elements() {
		size += len(k)
		switch {
		case !envKeyPattern.MatchString(k):
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Invalid environment variable name",
				fmt.Sprintf("%q: a name must be letters, digits and '_', start with a letter and be at least two characters long.", k))
		case slices.Contains(reservedEnvKeys, k):
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Reserved environment variable",
				fmt.Sprintf("%q is set by Lambda itself and cannot be configured.", k))
		}
		if s, ok := val.(types.String); ok && !s.IsUnknown() {
			size += len(s.ValueString())
		} else {
			known = false
		}
	}
	if known && size > maxEnvironmentBytes {
		resp.Diagnostics.AddAttributeError(req.Path, "Environment too large",
			fmt.Sprintf("The environment variables take %d bytes; Lambda allows %d bytes of names and values.", size, maxEnvironmentBytes))
	}
}

// Cloud Map's rules for custom instance attributes.
var (
	attributeKeyPattern   = regexp.MustCompile(`^[a-zA-Z0-9!-~]{1,255}$`)
	attributeValuePattern = regexp.MustCompile(`^([!-~][ \t!-~]*)?[!-~]?$`)
)

// maxInstanceAttributes is Cloud Map's limit of attributes per instance.
const maxInstanceAttributes = 30

// instanceAttributesValidator checks custom instance attributes the way
// Cloud Map does; each bad attribute is its own diagnostic.
type instanceAttributesValidator struct{}

var _ validator.Map = instanceAttributesValidator{}

func (instanceAttributesValidator) Description(context.Context) string {
	return "at most 28 attributes (with the address and port); keys up to 255 printable ASCII characters, values up to 1024"
}

func (v instanceAttributesValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v instanceAttributesValidator) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	elems := req.ConfigValue.Elements()
	if len(elems)+2 > maxInstanceAttributes {
		resp.Diagnostics.AddAttributeError(req.Path, "Too many instance attributes",
			fmt.Sprintf("%d attributes plus the address and port make %d; Cloud Map allows %d.", len(elems), len(elems)+2, maxInstanceAttributes))
	}
	for k, val := range elems {
		if !attributeKeyPattern.MatchString(k) {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Invalid instance attribute name",
				fmt.Sprintf("%q: a name is 1 to 255 printable ASCII characters without spaces.", k))
		}
		if s, ok := val.(types.String); ok && !s.IsUnknown() && !s.IsNull() {
			if v := s.ValueString(); len(v) > 1024 || !attributeValuePattern.MatchString(v) {
				resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(k), "Invalid instance attribute value",
					fmt.Sprintf("The value of %q: want up to 1024 printable ASCII characters, spaces only inside.", k))
			}
		}
	}
}
