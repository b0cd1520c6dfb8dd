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
