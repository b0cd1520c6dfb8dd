output "invoke_url" {
  description = "HTTPS base URL of the API stage."
  value       = module.gateway.invoke_url
}

output "namespace_id" {
  description = "Cloud Map namespace ID: register your services here."
  value       = module.gateway.namespace_id
}
