# https://api.example.com serves the gateway's stage. The certificate is an
# ACM certificate for the name in the API's region; point the name at
# regional_domain_name (a CNAME, or a Route 53 alias with
# regional_hosted_zone_id).
resource "portico_domain" "api" {
  domain_name     = "api.example.com"
  certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  rest_api_id     = portico_api.gateway.id
  stage_name      = portico_api.gateway.stage_name
}

output "api_url" {
  value = portico_domain.api.url
}
