# Portico's traffic policy for a service that ECS registers its tasks in,
# managed with the hashicorp/aws provider.
resource "aws_service_discovery_service" "payment" {
  name         = "payment"
  namespace_id = aws_service_discovery_http_namespace.mesh.id
}

resource "portico_service_policy" "payment" {
  service_id = aws_service_discovery_service.payment.id
  policy = jsonencode({
    versions = [{ version = "v1", weight = 95 }, { version = "v2", weight = 5 }]
    routes   = [{ header = "X-Test-User", value = "true", version = "v2" }]
    retry    = { attempts = 3, perTryTimeout = "2s" }
  })
}
