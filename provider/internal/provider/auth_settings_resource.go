package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/portico-gw/portico/internal/statetable"
)

// NewAuthSettingsResource returns a portico_auth_settings resource: the
// authorizer's settings where the authorizer reads them (PORTICO_TABLE), so
// that an issuer, key or claim change is a terraform apply, with no new
// function version.
func NewAuthSettingsResource() resource.Resource {
	return &DocumentResource{kind: documentKind{
		typeName: "_auth_settings",
		key:      statetable.AuthKey,
		what:     "settings document of the authorizer",
		invalid:  "Invalid authorizer settings",
		description: "The authorizer's settings (issuers, audiences, algorithms, keys, JWKS or OpenID Connect discovery URLs, " +
			"claim paths and mappings, cache TTL) as a JSON document in the item `{pk = \"" + statetable.AuthKey + "\", document}` " +
			"of the state table, where an authorizer with `PORTICO_TABLE` reads it and follows it: a change takes effect within " +
			"the functions' refresh interval, with no new function version. Checked at plan time with the authorizer's own " +
			"parser, as the `portico_auth_settings` data source checks it.",
		documentDescription: "The settings, written with `jsonencode`: `{issuers = [{issuer, audiences, algorithms, publicKeys, " +
			"jwksUrl, rolesClaim, scopesClaim, tierClaim, claimMappings}], leewaySeconds, cacheTtlSeconds, v2Response}`.",
		problems: func(doc string) []string {
			if msg := authSettingsProblem(doc); msg != "" {
				return []string{msg}
			}
			return nil
		},
	}}
}
