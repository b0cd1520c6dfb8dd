output "invoke_url" {
  description = "HTTPS base URL of the API stage."
  value       = module.gateway.invoke_url
}

output "api_id" {
  description = "REST API ID."
  value       = module.gateway.api_id
}

output "table_name" {
  description = "DynamoDB table of limits and cache."
  value       = module.gateway.table_name
}

output "namespace_name" {
  description = "Cloud Map namespace of the services."
  value       = module.gateway.namespace_name
}

output "api_keys" {
  description = "The demo API keys by tier (send as x-api-key)."
  value       = { for tier, k in portico_api_key.demo : tier => k.key }
  sensitive   = true
}

output "namespace_id" {
  description = "Cloud Map namespace ID of the services."
  value       = module.gateway.namespace_id
}

output "access_log_group_name" {
  description = "The stage's access log group."
  value       = module.gateway.access_log_group_name
}
