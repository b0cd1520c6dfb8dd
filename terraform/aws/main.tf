# Portico on real AWS. Build the arm64 zips with `make build`, then:
#
#   terraform -chdir=terraform/aws apply -var region=eu-west-1 \
#     -var jwt_public_key=path/to/public.pem -var jwt_issuer=... -var jwt_audience=...
#
# Each function gets its own least-privilege execution role (lambda-roles.md
# explains them); the demo services are replaced by your own services
# registered in the Cloud Map namespace.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    portico = {
      source = "portico-gw/portico"
    }
  }
}

provider "portico" {
  region = var.region
}

data "portico_caller" "current" {}

locals {
  log_group_arn = "arn:aws:logs:${var.region}:${data.portico_caller.current.account_id}:log-group:/aws/lambda"
}

resource "portico_lambda_role" "authorizer" {
  name = "${var.name}-authorizer"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["logs:CreateLogGroup"], Resource = "${local.log_group_arn}/${var.name}-authorizer" },
      { Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${local.log_group_arn}/${var.name}-authorizer:*" },
    ]
  })
}

resource "portico_lambda_role" "aggregator" {
  name = "${var.name}-aggregator"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["logs:CreateLogGroup"], Resource = "${local.log_group_arn}/${var.name}-aggregator" },
      { Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${local.log_group_arn}/${var.name}-aggregator:*" },
      { Effect = "Allow", Action = ["dynamodb:UpdateItem", "dynamodb:GetItem"], Resource = portico_table.state.arn },
      # DiscoverInstances has no resource-level permissions.
      { Effect = "Allow", Action = ["servicediscovery:DiscoverInstances", "servicediscovery:DiscoverInstancesRevision"], Resource = "*" },
    ]
  })
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
  role_arn         = portico_lambda_role.authorizer.arn
  architecture     = "arm64"
  memory_size      = 256
  timeout          = 10
  environment = {
    PORTICO_JWT_PUBLIC_KEY = file(var.jwt_public_key)
    PORTICO_JWT_ISSUER     = var.jwt_issuer
    PORTICO_JWT_AUDIENCE   = var.jwt_audience
  }
}

resource "portico_function" "aggregator" {
  name             = "${var.name}-aggregator"
  filename         = var.aggregator_zip
  source_code_hash = filebase64sha256(var.aggregator_zip)
  role_arn         = portico_lambda_role.aggregator.arn
  architecture     = "arm64"
  memory_size      = 512
  timeout          = 29
  environment = {
    PORTICO_NAMESPACE               = portico_service_namespace.mesh.name
    PORTICO_TABLE                   = portico_table.state.name
    PORTICO_LIMIT_PER_IP_PER_MINUTE = tostring(var.limit_per_ip_per_minute)
  }
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
      headers     = { "WWW-Authenticate" = "Bearer realm=\"portico\"" }
    }
    ACCESS_DENIED = {
      status_code = "401"
      templates   = { "application/json" = jsonencode({ message = "$context.authorizer.message" }) }
      headers     = { "WWW-Authenticate" = "Bearer realm=\"portico\", error=\"invalid_token\"" }
    }
  }
}

resource "portico_service_namespace" "mesh" {
  name        = var.namespace
  description = "Services behind the ${var.name} gateway"
}
