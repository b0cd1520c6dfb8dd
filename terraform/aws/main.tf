# Portico on real AWS. README.md walks from an empty account to a curl that
# works; in short, build the arm64 zips with `make build`, then:
#
#   terraform -chdir=terraform/aws apply -var region=eu-west-1 \
#     -var jwt_public_key=path/to/public.pem -var jwt_issuer=... -var jwt_audience=... \
#     -var 'vpc_subnet_ids=["subnet-..."]' -var 'vpc_security_group_ids=["sg-..."]'
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
  region              = var.region
  profile             = var.profile
  allowed_account_ids = var.allowed_account_ids

  dynamic "assume_role" {
    for_each = var.assume_role_arn == null ? [] : [var.assume_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "portico-terraform"
    }
  }

  default_tags {
    tags = var.tags
  }
}

data "portico_caller" "current" {}

locals {
  partition = split(":", data.portico_caller.current.arn)[1]
  account   = data.portico_caller.current.account_id
  # A log group's ARN as IAM matches it for its streams: the log-group ARN
  # followed by ":*" (arn:...:log-group:NAME:*, which covers
  # log-group:NAME:log-stream:STREAM). The provider creates the groups
  # (portico_function), so the roles need no logs:CreateLogGroup.
  log_streams = { for fn in ["authorizer", "aggregator"] :
    fn => "arn:${local.partition}:logs:${var.region}:${local.account}:log-group:/aws/lambda/${var.name}-${fn}:*"
  }
  # Active tracing: the functions send segments to X-Ray, which has no
  # resource-level permissions.
  xray_statements = var.tracing ? [
    { Effect = "Allow", Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource = "*" },
  ] : []
  # In a VPC, Lambda makes the aggregator's network interfaces with its role
  # (the AWSLambdaVPCAccessExecutionRole actions, which EC2 supports only on "*").
  vpc_statements = length(var.vpc_subnet_ids) > 0 ? [
    {
      Effect   = "Allow"
      Action   = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
      Resource = "*"
    },
  ] : []
  cors = length(var.cors_allow_origins) == 0 ? null : {
    allow_origins  = var.cors_allow_origins
    allow_methods  = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    allow_headers  = ["Authorization", "Content-Type"]
    expose_headers = ["X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"]
    max_age        = 600
  }
}

resource "portico_lambda_role" "authorizer" {
  name = "${var.name}-authorizer"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      { Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = local.log_streams["authorizer"] },
      # Its settings and the configuration's revision, and no other item.
      {
        Effect    = "Allow"
        Action    = ["dynamodb:GetItem"]
        Resource  = module.gateway.table_arn
        Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["config#revision", "config#auth"] } }
      },
    ], local.xray_statements)
  })
}

resource "portico_lambda_role" "aggregator" {
  name = "${var.name}-aggregator"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      { Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = local.log_streams["aggregator"] },
      # Reads: the configuration (its revision with GetItem, its documents
      # with BatchGetItem when the revision moved), API keys, counters and
      # cached responses.
      { Effect = "Allow", Action = ["dynamodb:GetItem", "dynamodb:BatchGetItem"], Resource = module.gateway.table_arn },
      # Writes only to the items the aggregator owns: rate-limit counters
      # (UpdateItem, keys "rl#..."), cached responses (PutItem, "cache#...")
      # and usage counters (UpdateItem, "usage#..."), and the instance lists
      # its instances share (UpdateItem, "discovery#..."). The configuration
      # and API keys ("config#...", "apikey#...") are the provider's alone.
      {
        Effect    = "Allow"
        Action    = ["dynamodb:UpdateItem", "dynamodb:PutItem"]
        Resource  = module.gateway.table_arn
        Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["rl#*", "cache#*", "usage#*", "discovery#*"] } }
      },
      # Its own mesh certificate (mutual TLS to the services whose policy
      # requires it), and no other secret.
      { Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = portico_mesh_certificate.gateway.arn },
      # DiscoverInstances has no resource-level permissions.
      { Effect = "Allow", Action = ["servicediscovery:DiscoverInstances", "servicediscovery:DiscoverInstancesRevision"], Resource = "*" },
    ], local.xray_statements, local.vpc_statements)
  })
}

# The role API Gateway writes the stage's access log with: an account-level
# setting of API Gateway in this region (portico_api sets it), with the
# actions of the AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs.
resource "portico_lambda_role" "apigateway_logs" {
  count   = var.access_log ? 1 : 0
  name    = "${var.name}-apigateway-logs"
  service = "apigateway.amazonaws.com"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"]
      Resource = "*"
    }]
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

  integration_timeout_ms = var.integration_timeout_ms
  vpc_subnet_ids         = var.vpc_subnet_ids
  vpc_security_group_ids = var.vpc_security_group_ids
  tracing                = var.tracing
  log_retention_days     = var.log_retention_days
  cors                   = local.cors
  throttling             = { rate_limit = var.throttle_rate_limit, burst_limit = var.throttle_burst_limit }
  access_log = var.access_log ? {
    retention_days      = var.log_retention_days
    cloudwatch_role_arn = portico_lambda_role.apigateway_logs[0].arn
  } : null
  auth_config = jsonencode({
    issuers = [{
      issuer     = var.jwt_issuer
      audiences  = [var.jwt_audience]
      publicKeys = { "" = file(var.jwt_public_key) }
    }]
  })
  authorizer_environment = var.authorizer_environment
  aggregator_environment = merge(var.aggregator_environment, {
    PORTICO_LIMIT_PER_IP_PER_MINUTE = tostring(var.limit_per_ip_per_minute)
    PORTICO_MESH_SECRET             = portico_mesh_certificate.gateway.name
  })
}

# The mesh's CA and the gateway's certificate: the aggregator presents it to
# the services whose traffic policy requires mutual TLS (mtls = true) and
# checks their identity. Issue your services' certificates from the same CA
# (portico_mesh_certificate, ca_secret = portico_mesh_ca.mesh.name).
resource "portico_mesh_ca" "mesh" {
  name = "${var.name}/mesh/ca"
}

resource "portico_mesh_certificate" "gateway" {
  name        = "${var.name}/mesh/gateway"
  ca_secret   = portico_mesh_ca.mesh.name
  ca_cert_pem = portico_mesh_ca.mesh.cert_pem
  service     = "gateway"
}

# The aggregator's route table (internal/route): routes.json maps paths to the
# services in the namespace; edit it and `terraform apply`, no redeploy (warm
# instances check the configuration's revision every 30 s). Validated at plan
# time.
resource "portico_route_table" "routes" {
  table_name             = module.gateway.table_name
  integration_timeout_ms = module.gateway.integration_timeout_ms
  document               = file(var.route_table_file)
}

# The custom domain clients call (https://<domain_name>), when given: an ACM
# certificate for it in this region, and a DNS record that points the name at
# the output regional_domain_name (README.md).
resource "portico_domain" "api" {
  count           = var.domain_name == "" ? 0 : 1
  domain_name     = var.domain_name
  certificate_arn = var.certificate_arn
  rest_api_id     = module.gateway.api_id
  stage_name      = module.gateway.stage_name
  base_path       = var.base_path
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
