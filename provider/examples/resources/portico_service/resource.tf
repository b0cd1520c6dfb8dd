resource "portico_service" "users" {
  name         = "users"
  namespace_id = portico_service_namespace.mesh.id
  description  = "User profile backend"
}
