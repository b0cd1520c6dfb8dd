resource "portico_service_namespace" "mesh" {
  name        = "portico.internal"
  description = "Backends behind the Portico gateway"
}
