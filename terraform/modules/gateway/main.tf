# Portico's gateway: the state table, the authorizer and aggregator functions,
# the REST API in front of them with Portico's gateway responses, and the Cloud
# Map namespace the aggregator discovers services in. Route table, limits, API
# keys and services are added by the caller against the outputs.
#
# The aggregator's timeout follows API Gateway's integration timeout: it ends
# a second sooner, so that the aggregator always answers (its own 504 at
# worst) before API Gateway gives up on it; route timeouts must fit too
# (portico_route_table's integration_timeout_ms, from the output).

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    portico = {
      source = "portico-gw/portico"
    }
  }
}

locals {
  aggregator_timeout = floor(var.integration_timeout_ms / 1000) - 1
  # The CORS policy as the aggregator reads it (PORTICO_CORS, package cors).
  cors_policy = var.cors == null ? null : jsonencode({
    allowOrigins     = var.cors.allow_origins
    allowMethods     = var.cors.allow_methods
    allowHeaders     = var.cors.allow_headers
    exposeHeaders    = var.cors.expose_headers
    allowCredentials = var.cors.allow_credentials
    maxAge           = var.cors.max_age
  })
  vpc_config = length(var.vpc_subnet_ids) == 0 ? null : {
    subnet_ids         = var.vpc_subnet_ids
    security_group_ids = var.vpc_security_group_ids
  }
}

resource "portico_table" "state" {
  name          = "${var.name}-state"
  hash_key      = "pk"
  ttl_attribute = "ttl"
  tags          = var.tags
}

# The authorizer's settings (internal/authorizer.Settings), checked at plan
# time and written to the state table, where the authorizer follows them: an
# issuer or key change is a terraform apply, with no new function version.
resource "portico_auth_settings" "auth" {
  table_name = portico_table.state.name
  document   = var.auth_config
}

resource "portico_function" "authorizer" {
  name             = "${var.name}-authorizer"
  filename         = var.authorizer_zip
  source_code_hash = filebase64sha256(var.authorizer_zip)
  role_arn         = var.authorizer_role_arn
  architecture     = var.architecture
  memory_size      = var.authorizer_memory_size
  timeout          = 10
  # Outside the VPC: it needs its settings from the state table (a gateway
  # endpoint in a VPC), and its keys or a JWKS URL on the internet.
  tracing            = var.tracing
  log_retention_days = var.log_retention_days
  tags               = var.tags
  environment = merge(var.authorizer_environment, {
    PORTICO_TABLE = portico_table.state.name
  })
  # Its settings exist before its first cold start.
  depends_on = [portico_auth_settings.auth]
}

resource "portico_function" "aggregator" {
  name             = "${var.name}-aggregator"
  filename         = var.aggregator_zip
  source_code_hash = filebase64sha256(var.aggregator_zip)
  role_arn         = var.aggregator_role_arn
  architecture     = var.architecture
  memory_size      = var.aggregator_memory_size
  timeout          = local.aggregator_timeout
  # In the services' VPC when given: Cloud Map instances are private addresses.
  vpc_config         = local.vpc_config
  tracing            = var.tracing
  log_retention_days = var.log_retention_days
  tags               = var.tags
  environment = merge(var.aggregator_environment, {
    PORTICO_NAMESPACE = portico_service_namespace.mesh.name
    PORTICO_TABLE     = portico_table.state.name
    }, local.cors_policy == null ? {} : {
    PORTICO_CORS = local.cors_policy
  })
}

resource "portico_api" "gateway" {
  name                    = var.name
  authorizer_function_arn = portico_function.authorizer.arn
  aggregator_function_arn = portico_function.aggregator.arn
  authorizer_ttl          = var.authorizer_ttl
  stage_name              = var.stage_name
  integration_timeout_ms  = var.integration_timeout_ms
  aggregator_timeout      = portico_function.aggregator.timeout
  cors                    = var.cors
  access_log              = var.access_log
  throttling              = var.throttling
  tracing                 = var.tracing
  tags                    = var.tags

  # What API Gateway answers itself when the authorizer rejects a request; these
  # take effect with the deployment the provider makes. UNAUTHORIZED: no
  # Authorization header. ACCESS_DENIED: the authorizer answered Deny with a
  # context message ("Token expired" or "Invalid token").
  gateway_responses = {
    UNAUTHORIZED = {
      status_code = "401"
      templates   = { "application/json" = jsonencode({ message = "Missing token" }) }
      headers     = { "WWW-Authenticate" = "Bearer realm=\"${var.realm}\"" }
    }
    ACCESS_DENIED = {
      status_code = "401"
      templates   = { "application/json" = jsonencode({ message = "$context.authorizer.message" }) }
      headers     = { "WWW-Authenticate" = "Bearer realm=\"${var.realm}\", error=\"invalid_token\"" }
    }
  }
}

resource "portico_service_namespace" "mesh" {
  name        = var.namespace
  description = "Services behind the ${var.name} gateway"
  tags        = var.tags
}
