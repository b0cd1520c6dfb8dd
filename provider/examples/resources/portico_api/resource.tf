# A REST API the provider creates.
resource "portico_api" "gateway" {
  name                    = "portico"
  authorizer_function_arn = portico_function.authorizer.arn
  aggregator_function_arn = portico_function.aggregator.arn
  authorizer_ttl          = 300
  stage_name              = "v1"

  gateway_responses = {
    # No Authorization header.
    UNAUTHORIZED = {
      status_code = "401"
      templates   = { "application/json" = jsonencode({ message = "Missing token" }) }
      headers     = { "WWW-Authenticate" = "Bearer realm=\"portico\"" }
    }
    # The authorizer answered Deny with a context message.
    ACCESS_DENIED = {
      status_code = "401"
      templates   = { "application/json" = jsonencode({ message = "$context.authorizer.message" }) }
      headers     = { "WWW-Authenticate" = "Bearer realm=\"portico\", error=\"invalid_token\"" }
    }
  }

  # binary_media_types defaults to ["*/*"]: gzip'd and binary answers keep
  # their bytes. The aggregator must end a second before API Gateway gives up.
  integration_timeout_ms = 29000
  aggregator_timeout     = portico_function.aggregator.timeout

  # Browser clients of https://app.example.com; give the aggregator the same
  # policy as PORTICO_CORS.
  cors = {
    allow_origins  = ["https://app.example.com"]
    allow_methods  = ["GET", "POST", "PUT", "DELETE"]
    allow_headers  = ["Authorization", "Content-Type"]
    expose_headers = ["X-Request-Id"]
    max_age        = 600
  }

  # Stage settings: a JSON access log, a first wall of throttling, X-Ray.
  access_log = {
    retention_days      = 30
    cloudwatch_role_arn = portico_lambda_role.apigateway_logs.arn
  }
  throttling = {
    rate_limit  = 500
    burst_limit = 1000
  }
  tracing = true
  tags    = { component = "gateway" }

  # API Gateway throttles its control plane hard: give large accounts time.
  timeouts {
    create = "30m"
  }
}

output "url" {
  value = portico_api.gateway.invoke_url
}

# Portico wired into a REST API the team manages with the hashicorp/aws
# provider, which keeps its stages, custom domains and WAF association. The
# team's deployment redeploys whenever Portico's part changes.
resource "portico_api" "attached" {
  rest_api_id             = aws_api_gateway_rest_api.team.id
  authorizer_function_arn = aws_lambda_function.authorizer.arn
  aggregator_function_arn = aws_lambda_function.aggregator.arn
}

resource "aws_api_gateway_deployment" "team" {
  rest_api_id = aws_api_gateway_rest_api.team.id
  triggers = {
    portico = portico_api.attached.redeployment_trigger
  }
  lifecycle {
    create_before_destroy = true
  }
}
