# Portico on real AWS. Build the arm64 zips with `make build`, then:
#
#   terraform -chdir=terraform/aws apply -var region=eu-west-1 \
#     -var jwt_public_key=path/to/public.pem -var jwt_issuer=... -var jwt_audience=...
#
# Each function gets its own least-privilege execution role (lambda-roles.md
# explains them). Register your services in the Cloud Map namespace (for
# example with modules/mesh-service) and route to them in routes.json.

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
      # Reads: the route table, limits and descriptor documents, API keys,
      # counters and cached responses.
      { Effect = "Allow", Action = ["dynamodb:GetItem"], Resource = module.gateway.table_arn },
      # Writes only to the items the aggregator owns: rate-limit counters
      # (UpdateItem, keys "rl#..."), cached responses (PutItem, "cache#...")
      # and the instance lists its instances share (UpdateItem,
      # "discovery#..."). The configuration and API keys ("config#...",
      # "apikey#...") are the provider's alone.
      {
        Effect    = "Allow"
        Action    = ["dynamodb:UpdateItem", "dynamodb:PutItem"]
        Resource  = module.gateway.table_arn
        Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["rl#*", "cache#*", "discovery#*"] } }
      },
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
  architecture        = var.architecture
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

# The aggregator's route table (internal/route): routes.json maps paths to the
# services in the namespace; edit it and `terraform apply`, no redeploy (warm
# instances re-read it every 30 s). Validated at plan time.
resource "portico_route_table" "routes" {
  table_name = module.gateway.table_name
  document   = file(var.route_table_file)
}

# Rate limits (pkg/ratelimit document), with the design chapter's numbers.
resource "portico_limits" "limits" {
  table_name = module.gateway.table_name
  document = jsonencode({
    version = 1
    rules = [
      # 3 shards, leases of 10: RELIABILITY.md's simulation of 200 instances.
      { name = "global", dimension = "global", requests = 10000, window = "1s", shards = 3, lease = 10, failMode = "open" },
      { name = "ip", dimension = "ip", requests = var.limit_per_ip_per_minute, window = "1m", failMode = "open" },
      { name = "key", dimension = "apikey", requests = 1000, window = "1m", algorithm = "sliding", lease = 10 },
      { name = "search", dimension = "endpoint", route = "/api/v1/search", requests = 10, window = "1m" },
      { name = "tier-free", dimension = "tier", tier = "free", requests = var.tier_limits_per_hour.free, window = "1h" },
      { name = "tier-pro", dimension = "tier", tier = "pro", requests = var.tier_limits_per_hour.pro, window = "1h" },
      { name = "tier-enterprise", dimension = "tier", tier = "enterprise", requests = var.tier_limits_per_hour.enterprise, window = "1h", lease = 10 },
    ]
  })
}
