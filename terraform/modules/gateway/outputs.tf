output "invoke_url" {
  description = "HTTPS base URL of the API stage."
  value       = portico_api.gateway.invoke_url
}

output "api_id" {
  description = "REST API ID."
  value       = portico_api.gateway.id
}

output "table_name" {
  description = "The state table: limits, API keys, cache, route table."
  value       = portico_table.state.name
}

output "table_arn" {
  description = "ARN of the state table, for IAM policies."
  value       = portico_table.state.arn
}

output "namespace_id" {
  description = "Cloud Map namespace ID: register services here."
  value       = portico_service_namespace.mesh.id
}

output "namespace_name" {
  description = "Cloud Map namespace name."
  value       = portico_service_namespace.mesh.name
}
