# Portico on a local LocalStack-compatible emulator (MiniStack by default).
# `make demo` and the end-to-end tests apply this root; see the README.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    portico = {
      source = "portico-gw/portico"
    }
  }
}

provider "portico" {
  region    = var.region
  endpoint  = var.endpoint
  ca_bundle = var.ca_bundle
}

locals {
  services = toset(["user-service", "order-service", "notification-service", "product-service", "french-content-service", "api-v2-service"])
  # Emulators accept any role; real AWS uses terraform/aws with least-privilege roles.
  role_arn = "arn:aws:iam::000000000000:role/${var.name}-lambda"
}

module "gateway" {
  source = "../modules/gateway"

  name                   = var.name
  namespace              = "${var.name}.local"
  architecture           = var.architecture
  authorizer_zip         = var.authorizer_zip
  aggregator_zip         = var.aggregator_zip
  authorizer_role_arn    = local.role_arn
  aggregator_role_arn    = local.role_arn
  authorizer_memory_size = 128
  aggregator_memory_size = 128
  authorizer_ttl         = var.authorizer_ttl
  # The authorizer's settings (documents.tf), checked at plan time.
  auth_config = data.portico_auth_settings.demo.document
  aggregator_environment = merge(var.aggregator_extra_environment, {
    PORTICO_LIMIT_PER_IP_PER_MINUTE = tostring(var.limit_per_ip_per_minute)
    PORTICO_CONFIG_REFRESH          = var.config_refresh
    # The emulator answers a DynamoDB call in tens of milliseconds, and far
    # more on a loaded machine; DynamoDB in the region in single digits. The
    # default (250ms) is for AWS.
    PORTICO_STORE_TIMEOUT = "2s"
    # Usage counts are written at most this often (10s by default), so that
    # the demo and the tests read them back at once.
    PORTICO_USAGE_FLUSH = "1s"
  })
}

# The aggregator's route table (internal/route): the design chapter's routes
# and the per-route permissions. The aggregator checks the configuration's
# revision every config_refresh, so a change here needs only `terraform
# apply`, no redeploy. The orders timeout (30 s) is beyond API
# Gateway's 29 s integration limit, so plan warns: behind API Gateway an orders
# request ends at 29 s whatever the route says.
resource "portico_route_table" "routes" {
  table_name = module.gateway.table_name
  # Checks the gRPC routes against their descriptor sets at plan time, and
  # writes the sets before the routes.
  descriptors = { payments = portico_grpc_descriptors.payments.filename }
  document    = local.routes_document # documents.tf
}

# Rate limits (pkg/ratelimit document), checked by the aggregator on every request.
resource "portico_limits" "limits" {
  table_name = module.gateway.table_name
  document   = local.limits_document # documents.tf
}

# One demo API key per tier; the keys are generated (terraform output -json api_keys).
resource "portico_api_key" "demo" {
  for_each   = toset(["free", "pro", "enterprise"])
  table_name = module.gateway.table_name
  name       = "${var.name}-demo-${each.key}"
  tier       = each.key
}

# The demo services, one mesh service each, on the loopback ports the demo
# services (make demo) or the tests listen on.
module "service" {
  source       = "../modules/mesh-service"
  for_each     = local.services
  name         = each.key
  namespace_id = module.gateway.namespace_id
  instances = {
    "${each.key}-1" = { address = var.backend_host, port = var.backend_ports[each.key], attributes = { version = "v1" } }
  }
}

# The demo gRPC payment service (localstack/grpcpay): its descriptor set, which
# the aggregator reads for the gRPC routes, and its Cloud Map registration.
resource "portico_grpc_descriptors" "payments" {
  table_name  = module.gateway.table_name
  name        = "payments"
  filename    = var.payments_descriptors
  source_hash = filebase64sha256(var.payments_descriptors)
}

module "payment_grpc" {
  source       = "../modules/mesh-service"
  name         = "payment-grpc-service"
  namespace_id = module.gateway.namespace_id
  instances = {
    "payment-grpc-service-1" = { address = var.backend_host, port = var.payment_grpc_port, attributes = { version = "v1", protocol = "grpc" } }
  }
}
