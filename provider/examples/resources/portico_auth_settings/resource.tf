# The authorizer (PORTICO_TABLE = the state table) follows these settings:
# adding the second issuer below is a terraform apply, with no new function
# version.
resource "portico_auth_settings" "this" {
  table_name = portico_table.state.name
  document = jsonencode({
    issuers = [
      {
        issuer        = "https://id.example.com/realms/portico"
        audiences     = ["portico"]
        rolesClaim    = "realm_access.roles"
        claimMappings = { email = "email" }
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
