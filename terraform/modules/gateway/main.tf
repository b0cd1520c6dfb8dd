# Portico's gateway: the state table, the authorizer and aggregator functions,
# the REST API in front of them with Portico's gateway responses, and the Cloud
# Map namespace the aggregator discovers services in. Route table, limits, API
# keys and services are added by the caller against the outputs.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    portico = {
      source = "portico-gw/portico"
    }
  }
}

resource "portico_table" "state" {
  name          = "${var.name}-state"
  hash_key      = "pk"
  ttl_attribute = "ttl"
}

resource "portico_function" "authorizer" {
  name             = "${var.name}-authorizer"
  filename         = var.authorizer_zip
  source_code_hash = filebase64sha256(var.authorizer_zip)
  role_arn         = var.authorizer_role_arn
  architecture     = var.architecture
  memory_size      = var.authorizer_memory_size
  timeout          = 10
  environment = {
    # The authorizer's settings document (internal/authorizer.Settings).
    PORTICO_AUTH_CONFIG = var.auth_config
  }
}

resource "portico_function" "aggregator" {
  name             = "${var.name}-aggregator"
  filename         = var.aggregator_zip
  source_code_hash = filebase64sha256(var.aggregator_zip)
  role_arn         = var.aggregator_role_arn
  architecture     = var.architecture
  memory_size      = var.aggregator_memory_size
  timeout          = var.aggregator_timeout
  environment = merge(var.aggregator_environment, {
    PORTICO_NAMESPACE = portico_service_namespace.mesh.name
    PORTICO_TABLE     = portico_table.state.name
  })
}

resource "portico_api" "gateway" {
  name                    = var.name
  authorizer_function_arn = portico_function.authorizer.arn
  aggregator_function_arn = portico_function.aggregator.arn
  authorizer_ttl          = var.authorizer_ttl
  stage_name              = var.stage_name

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
}
