output "invoke_url" {
  description = "HTTPS base URL of the API stage."
  value       = portico_api.gateway.invoke_url
}

output "namespace_id" {
  description = "Cloud Map namespace ID: register your services here."
  value       = portico_service_namespace.mesh.id
}
