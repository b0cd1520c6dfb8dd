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
}

output "url" {
  value = portico_api.gateway.invoke_url
}
