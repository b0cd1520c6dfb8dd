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
}`, `(?s)document.*rule 0 \("ip"\): window "2 minutes": want a duration such as 1s, 1m, 1h or 24h`},
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
