resource "portico_function" "aggregator" {
  name             = "portico-aggregator"
  filename         = "${path.module}/build/aggregator.zip"
  source_code_hash = filebase64sha256("${path.module}/build/aggregator.zip")
  role_arn         = "arn:aws:iam::123456789012:role/portico-lambda"
  architecture     = "arm64"
  memory_size      = 256
  timeout          = 10
  environment = {
    ROUTES_TABLE = portico_table.routes.name
  }
}

# A Python function whose calls to http://localhost:9911/<service>/ go
# through the mesh: the portico-mesh layer (see portico_layer) and its
# settings, nothing in the code.
resource "portico_function" "orders" {
  name             = "orders"
  filename         = "${path.module}/build/orders.zip"
  source_code_hash = filebase64sha256("${path.module}/build/orders.zip")
  role_arn         = "arn:aws:iam::123456789012:role/orders"
  handler          = "function.handle"
  runtime          = "python3.13"
  architecture     = "arm64"
  layers           = [portico_layer.mesh.arn]
  environment = {
    PORTICO_MESH_NAMESPACE  = "portico.local"
    PORTICO_MESH_SERVICES   = "payment,inventory"
    PORTICO_MESH_TLS_SECRET = "portico/mesh/orders"
  }
}
