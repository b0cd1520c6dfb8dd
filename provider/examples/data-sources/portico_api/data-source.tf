# The gateway that another configuration manages, by REST API id.
data "portico_api" "gateway" {
  id = "a1b2c3d4e5"
}

output "gateway_url" {
  value = data.portico_api.gateway.invoke_url
}
