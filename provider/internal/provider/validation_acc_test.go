//go:build e2e

package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccPlanTimeValidation runs invalid configurations through Terraform and
// checks the message a user sees at plan time: which attribute, what is wrong
// and what would be right. Nothing reaches AWS.
func TestAccPlanTimeValidation(t *testing.T) {
	const fn = `
resource "portico_function" "f" {
  name             = "f"
  filename         = "f.zip"
  source_code_hash = "x"
  role_arn         = "arn:aws:iam::000000000000:role/r"
  %s
}`
	tests := []struct {
		name, config, want string
	}{
		{"authorizer TTL over 3600", `
resource "portico_api" "a" {
  name                    = "a"
  authorizer_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:a"
  aggregator_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:b"
  authorizer_ttl          = 4000
}`, `(?s)authorizer_ttl.*value must be between 0 and 3600, got: 4000`},
		{"unknown gateway response type", `
resource "portico_api" "a" {
  name                    = "a"
  authorizer_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:a"
  aggregator_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:b"
  gateway_responses = { NOT_A_TYPE = { status_code = "401" } }
}`, `(?s)gateway_responses.*NOT_A_TYPE`},
		{"function architecture", sprintf(fn, `architecture = "x86"`), `(?s)architecture.*value must be one of`},
		{"function memory", sprintf(fn, `memory_size = 64`), `(?s)memory_size.*between 128 and 10240, got: 64`},
		{"function timeout", sprintf(fn, `timeout = 1000`), `(?s)timeout.*between 1 and 900, got: 1000`},
		{"instance port", `
resource "portico_service_instance" "i" {
  service_id  = "srv-1"
  instance_id = "i"
  address     = "127.0.0.1"
  port        = 70000
}`, `(?s)port.*between 1 and 65535, got: 70000`},
		{"instance address", `
resource "portico_service_instance" "i" {
  service_id  = "srv-1"
  instance_id = "i"
  address     = "not-an-ip"
  port        = 80
}`, `(?s)address.*IPv4`},
		{"reserved instance attribute", `
resource "portico_service_instance" "i" {
  service_id  = "srv-1"
  instance_id = "i"
  address     = "127.0.0.1"
  port        = 80
  attributes  = { AWS_INSTANCE_PORT = "81" }
}`, `(?s)AWS_INSTANCE_PORT`},
		{"canary weights", `
resource "portico_service" "s" {
  name         = "payment"
  namespace_id = "ns-1"
  policy       = jsonencode({ versions = [{ version = "v1", weight = 90 }, { version = "v2", weight = 5 }] })
}`, `(?s)policy.*100`},
		{"role name", `
resource "portico_lambda_role" "r" {
  name   = "bad name"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "logs:*", Resource = "*" }] })
}`, `(?s)name.*may contain only letters, digits and \+=,\.@_-`},
		{"role policy", `
resource "portico_lambda_role" "r" {
  name   = "r"
  policy = jsonencode({ Statement = [] })
}`, `(?s)policy.*Version is ""; want "2012-10-17"`},
		{"API key tier", `
resource "portico_api_key" "k" {
  table_name = "state"
  name       = "n"
  tier       = "gold"
}`, `(?s)tier.*value must be one of.*"free".*"pro".*"enterprise"`},
		{"limits window", `
resource "portico_limits" "l" {
  table_name = "state"
  document   = jsonencode({ version = 1, rules = [{ name = "ip", dimension = "ip", requests = 100, window = "2 minutes" }] })
}`, `(?s)document.*rule 0 \("ip"\): window "2 minutes": want a duration such as 1s, 1m, 1h, 24h`},
		{"limits dimension", `
resource "portico_limits" "l" {
  table_name = "state"
  document   = jsonencode({ version = 1, rules = [{ name = "s", dimension = "endpoint", requests = 10, window = "1m" }] })
}`, `(?s)an endpoint rule needs a Route`},
		{"ambiguous routes", `
resource "portico_route_table" "r" {
  table_name = "state"
  document = jsonencode({ version = 1, routes = [
    { id = "a", match = { pathPrefix = "/api" }, service = "a" },
    { id = "b", match = { pathPrefix = "/api" }, service = "b" },
  ] })
}`, `(?s)Invalid route table.*"a".*"b"`},
		{"cache on a user-specific route", `
resource "portico_route_table" "r" {
  table_name = "state"
  document = jsonencode({ version = 1, routes = [
    { id = "users", match = { pathPrefix = "/api/v1/users" }, service = "user-service", userSpecific = true, cache = { ttl = "1m" } },
  ] })
}`, `(?s)user-specific answers are never cached`},
		{"cache keyed on Authorization", `
resource "portico_route_table" "r" {
  table_name = "state"
  document = jsonencode({ version = 1, routes = [
    { id = "p", match = { pathPrefix = "/p" }, service = "p", cache = { ttl = "1m", vary = ["Authorization"] } },
  ] })
}`, `(?s)cache\.vary: Authorization would put credentials or identity in the cache key`},
		{"cached route matching a header it does not vary on", `
resource "portico_route_table" "r" {
  table_name = "state"
  document = jsonencode({ version = 1, routes = [
    { id = "p2", match = { pathPrefix = "/p", version = "2" }, service = "p", cache = { ttl = "1m" } },
  ] })
}`, `(?s)the route matches on the header X-Api-Version, so its cache must vary on it`},
		// Values AWS would refuse anyway.
		{"retired runtime", sprintf(fn, `runtime = "go1.x"`), `(?s)runtime.*value must be one of`},
		{"function name", `
resource "portico_function" "f" {
  name             = "my.function"
  filename         = "f.zip"
  source_code_hash = "x"
  role_arn         = "arn:aws:iam::000000000000:role/r"
}`, `(?s)name.*a Lambda function name: 1 to 64 letters, digits, '-' or '_', got "my.function"`},
		{"role ARN", `
resource "portico_function" "f" {
  name             = "f"
  filename         = "f.zip"
  source_code_hash = "x"
  role_arn         = "portico-role"
}`, `(?s)role_arn.*an IAM role ARN`},
		{"reserved environment variables, each reported", sprintf(fn, `environment = { AWS_REGION = "x", "9LIVES" = "y" }`),
			`(?s)Reserved environment variable.*"AWS_REGION".*Invalid environment variable name.*"9LIVES"|(?s)Invalid environment variable name.*"9LIVES".*Reserved environment variable.*"AWS_REGION"`},
		{"table name", `
resource "portico_limits" "l" {
  table_name = "no spaces allowed"
  document   = jsonencode({ version = 1, rules = [] })
}`, `(?s)table_name.*a DynamoDB table name`},
		{"stage name", `
resource "portico_api" "a" {
  name                    = "a"
  authorizer_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:a"
  aggregator_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:b"
  stage_name              = "v1.0"
}`, `(?s)stage_name.*an API Gateway stage name`},
		{"name and rest_api_id", `
resource "portico_api" "a" {
  name                    = "a"
  rest_api_id             = "abc123"
  authorizer_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:a"
  aggregator_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:b"
}`, `(?s)Conflicting REST API.*Give one of them`},
		{"API key without a key", `
resource "portico_api_key" "k" {
  table_name = "state"
  name       = "n"
  tier       = "free"
}`, `(?s)Which key\?.*key_hash.*key.*generate = true`},
		{"recovery window of a secret the provider does not delete", `
resource "portico_mesh_ca" "ca" {
  name                    = "mesh/ca"
  create_secret           = false
  recovery_window_in_days = 30
}`, `(?s)recovery_window_in_days.*has no effect`},
		// Documents with several problems report them all at once, each
		// naming its route, rule or part.
		{"route document, every bad route", `
resource "portico_route_table" "r" {
  table_name = "state"
  document = jsonencode({ version = 1, routes = [
    { id = "a", match = { pathPrefix = "/a", methods = ["get"] }, service = "a" },
    { id = "b", match = { pathPrefix = "/b" }, service = "b" },
    { id = "c", match = {}, service = "c" },
  ] })
}`, `(?s)routes\[0\] \(id "a"\): match.methods\[0\] "get".*routes\[2\] \(id "c"\): match: set pathPrefix or path`},
		{"limits document, every bad rule", `
resource "portico_limits" "l" {
  table_name = "state"
  document   = jsonencode({ version = 1, rules = [
    { name = "ip", dimension = "ip", requests = 100, window = "2 minutes" },
    { name = "ok", dimension = "ip", requests = 100, window = "1m" },
    { name = "search", dimension = "endpoint", requests = 10, window = "1m" },
  ] })
}`, `(?s)rule 0 \("ip"\): window "2 minutes".*rule 2 \("search"\): an endpoint rule needs a Route`},
		{"traffic policy, every bad part", `
resource "portico_service_policy" "p" {
  service_id = "srv-abc123"
  policy = jsonencode({
    versions = [{ version = "v1", weight = 90 }, { version = "v2", weight = 5 }]
    fault    = { abortPercent = 5 }
  })
}`, `(?s)versions: weights sum to 95, want 100.*fault: abortStatus 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				PreCheck:                 func() { accPreCheck(t) },
				ProtoV6ProviderFactories: accProviders,
				Steps: []resource.TestStep{{
					Config:   accProviderConfig() + tt.config,
					PlanOnly: true,
					// Terraform wraps long messages: a space matches any run of white space.
					ExpectError: regexp.MustCompile(strings.ReplaceAll(tt.want, " ", `\s+`)),
				}},
			})
		})
	}
}

func sprintf(format, arg string) string {
	return regexp.MustCompile(`%s`).ReplaceAllLiteralString(format, arg)
}
