# One mesh service: its Cloud Map service, its traffic policy (read by mesh
# clients from the service's attributes, and by a gateway from its state table
# when table_name is set) and its instances.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    portico = {
      source = "portico-gw/portico"
    }
  }
}

resource "portico_service" "this" {
  name         = var.name
  namespace_id = var.namespace_id
  policy       = var.policy
  table_name   = var.table_name
}

resource "portico_service_instance" "this" {
  for_each    = var.instances
  service_id  = portico_service.this.id
  instance_id = each.key
  address     = each.value.address
  port        = each.value.port
  attributes  = length(each.value.attributes) > 0 ? each.value.attributes : null
}
