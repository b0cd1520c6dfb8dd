resource "portico_service" "users" {
  name         = "users"
  namespace_id = portico_service_namespace.mesh.id
  description  = "User profile backend"
}

# A service with a traffic policy for the mesh client: 95 % of requests to
# v1, 5 % to v2, testers (X-Test-User: true) always to v2.
resource "portico_service" "payment" {
  name         = "payment"
  namespace_id = portico_service_namespace.mesh.id
  policy = jsonencode({
    versions = [{ version = "v1", weight = 95 }, { version = "v2", weight = 5 }]
    routes   = [{ header = "X-Test-User", value = "true", version = "v2" }]
    retry    = { attempts = 3, perTryTimeout = "2s" }
  })
}
