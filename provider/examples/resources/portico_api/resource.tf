resource "portico_api" "gateway" {
  name                    = "portico"
  authorizer_function_arn = portico_function.authorizer.arn
  aggregator_function_arn = portico_function.aggregator.arn
  authorizer_ttl          = 300
  stage_name              = "v1"
}

output "url" {
  value = portico_api.gateway.invoke_url
}
