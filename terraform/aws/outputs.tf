output "invoke_url" {
  description = "HTTPS base URL of the API stage."
  value       = module.gateway.invoke_url
}

output "namespace_id" {
  description = "Cloud Map namespace ID: register your services here."
  value       = module.gateway.namespace_id
}

output "namespace_name" {
  description = "Cloud Map namespace name, the one clients discover in."
  value       = module.gateway.namespace_name
}

output "table_name" {
  description = "DynamoDB state table: counters, API keys, cached responses, route table and limits."
  value       = module.gateway.table_name
}

output "mesh_ca_secret" {
  description = "Secrets Manager secret of the mesh CA: issue your services' certificates from it (portico_mesh_certificate ca_secret)."
  value       = portico_mesh_ca.mesh.name
}
