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

output "integration_timeout_ms" {
  description = "API Gateway's integration timeout, for portico_route_table's integration_timeout_ms."
  value       = portico_api.gateway.integration_timeout_ms
}

output "stage_name" {
  description = "The API's stage."
  value       = portico_api.gateway.stage_name
}

output "access_log_group_name" {
  description = "The stage's access log group (null without access_log)."
  value       = portico_api.gateway.access_log_group_name
}

output "authorizer_function_name" {
  description = "Name of the authorizer function."
  value       = portico_function.authorizer.name
}

output "aggregator_function_name" {
  description = "Name of the aggregator function."
  value       = portico_function.aggregator.name
}
