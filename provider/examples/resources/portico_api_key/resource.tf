# A partner's key, made and kept outside Terraform (a vault, Secrets Manager,
# the partner's own system): only its SHA-256 reaches Terraform state.
# Compute it where the key is: printf %s "$KEY" | sha256sum
variable "acme_key_sha256" {
  type = string
}

resource "portico_api_key" "acme" {
  table_name = portico_table.state.name
  name       = "partner-acme"
  tier       = "pro"
  key_hash   = var.acme_key_sha256
}

# A development key made by the provider and kept in state (sensitive):
# read it with `terraform output -raw dev_key`.
resource "portico_api_key" "dev" {
  table_name = portico_table.state.name
  name       = "local-dev"
  tier       = "free"
  generate   = true
}

output "dev_key" {
  value     = portico_api_key.dev.key
  sensitive = true
}
