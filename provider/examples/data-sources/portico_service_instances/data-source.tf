# Every registered replica of user-service, healthy or not.
data "portico_service_instances" "users" {
  namespace_name = "portico.local"
  service_name   = "user-service"
}

output "user_service_endpoints" {
  value = [for i in data.portico_service_instances.users.instances : "${i.address}:${i.port}"]
}
