output "invoke_url" {
  description = "HTTPS base URL of the API stage."
  value       = module.gateway.invoke_url
}

output "table_name" {
  description = "The state table."
  value       = module.gateway.table_name
}

output "namespace_name" {
  description = "Cloud Map namespace of the services."
  value       = module.gateway.namespace_name
}

output "aggregator_name" {
  description = "The aggregator function."
  value       = "${var.name}-aggregator"
}

output "api_keys" {
  description = "The load's API keys by name."
  value       = { for name, k in portico_api_key.load : name => k.key }
  sensitive   = true
}

output "vault_secret" {
  description = "The secret of vault-service's mesh certificate."
  value       = portico_mesh_certificate.vault.name
}

output "gateway_secret" {
  description = "The secret of the gateway's mesh certificate."
  value       = portico_mesh_certificate.gateway.name
}
