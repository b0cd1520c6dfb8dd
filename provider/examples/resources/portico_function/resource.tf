resource "portico_function" "aggregator" {
  name             = "portico-aggregator"
  filename         = "${path.module}/build/aggregator.zip"
  source_code_hash = filebase64sha256("${path.module}/build/aggregator.zip")
  role_arn         = "arn:aws:iam::123456789012:role/portico-lambda"
  architecture     = "arm64"
  memory_size      = 256
  timeout          = 28
  # Active X-Ray tracing, and the log group's retention.
  tracing            = true
  log_retention_days = 30
  environment = {
    ROUTES_TABLE = portico_table.routes.name
  }
  # In the VPC of the services it calls (their Cloud Map instances have
  # private addresses); AWS APIs through VPC endpoints or a NAT gateway.
  vpc_config = {
    subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60729"]
    security_group_ids = ["sg-0123456789abcdef0"]
  }
  tags = { component = "gateway" }
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
