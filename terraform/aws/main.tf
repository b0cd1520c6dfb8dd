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
      { Effect = "Allow", Action = ["dynamodb:UpdateItem", "dynamodb:GetItem"], Resource = module.gateway.table_arn },
      # DiscoverInstances has no resource-level permissions.
      { Effect = "Allow", Action = ["servicediscovery:DiscoverInstances", "servicediscovery:DiscoverInstancesRevision"], Resource = "*" },
    ]
  })
}

module "gateway" {
  source = "../modules/gateway"

  name                = var.name
  namespace           = var.namespace
  stage_name          = var.stage_name
  architecture        = "arm64"
  authorizer_zip      = var.authorizer_zip
  aggregator_zip      = var.aggregator_zip
  authorizer_role_arn = portico_lambda_role.authorizer.arn
  aggregator_role_arn = portico_lambda_role.aggregator.arn
  authorizer_ttl      = var.authorizer_ttl
  auth_config = jsonencode({
    issuers = [{
      issuer     = var.jwt_issuer
      audiences  = [var.jwt_audience]
      publicKeys = { "" = file(var.jwt_public_key) }
    }]
  })
  aggregator_environment = {
    PORTICO_LIMIT_PER_IP_PER_MINUTE = tostring(var.limit_per_ip_per_minute)
  }
}
