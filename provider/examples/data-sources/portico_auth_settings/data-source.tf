# The authorizer's settings, checked at plan time: an issuer known by its
# URL alone (OpenID Connect discovery) with Keycloak-style roles, and a
# static key for a second issuer.
data "portico_auth_settings" "this" {
  document = jsonencode({
    issuers = [
      {
        issuer        = "https://id.example.com/realms/portico"
        audiences     = ["portico"]
        rolesClaim    = "realm_access.roles"
        claimMappings = { email = "email", "https://example.com/tenant" = "tenant" }
      },
      {
        issuer     = "https://partners.example.com"
        audiences  = ["portico"]
        publicKeys = { "key-1" = file("partners.pub.pem") }
      },
    ]
    cacheTtlSeconds = 60
  })
}

module "gateway" {
  source      = "../modules/gateway"
  auth_config = data.portico_auth_settings.this.document
  # ...
}
