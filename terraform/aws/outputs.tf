output "invoke_url" {
  description = "HTTPS base URL of the API stage (execute-api)."
  value       = module.gateway.invoke_url
}

output "url" {
  description = "The URL to call: the custom domain's with domain_name, else the stage's invoke URL."
  value       = var.domain_name == "" ? module.gateway.invoke_url : portico_domain.api[0].url
}

output "regional_domain_name" {
  description = "What domain_name's DNS record points at (CNAME, or Route 53 alias with regional_hosted_zone_id); null without domain_name."
  value       = var.domain_name == "" ? null : portico_domain.api[0].regional_domain_name
}

output "regional_hosted_zone_id" {
  description = "Route 53 hosted zone of regional_domain_name, for an alias record; null without domain_name."
  value       = var.domain_name == "" ? null : portico_domain.api[0].regional_hosted_zone_id
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

output "access_log_group_name" {
  description = "The stage's access log group (null without access_log)."
  value       = module.gateway.access_log_group_name
}
