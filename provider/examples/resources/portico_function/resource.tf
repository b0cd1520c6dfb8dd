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
