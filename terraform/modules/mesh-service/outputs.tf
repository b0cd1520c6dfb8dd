output "id" {
  description = "Cloud Map service ID."
  value       = portico_service.this.id
}
