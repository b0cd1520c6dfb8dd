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
  # The design chapter's orders route waits 30 s: behind an integration
  # timeout raised to 32 s (as AWS allows Regional REST APIs on request),
  # with the aggregator's timeout at 31 s.
  integration_timeout_ms = var.integration_timeout_ms
  # The browser page of make demo (localstack/webapp) calls the API from
  # this origin with a bearer token and JSON bodies.
  cors = {
    allow_origins  = [var.cors_origin]
    allow_methods  = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    allow_headers  = ["Authorization", "Content-Type"]
    expose_headers = ["X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"]
    max_age        = 600
  }
  access_log         = { retention_days = 7 }
  log_retention_days = 7
  tags               = { stack = var.name }
  auth_config = jsonencode({
    issuers = [{
      issuer        = var.jwt_issuer
      audiences     = [var.jwt_audience]
      algorithms    = ["RS256", "ES256", "EdDSA"]
      publicKeys    = { (var.jwt_kid) = file(var.jwt_public_key) }
      claimMappings = { email = "email" }
    }]
    cacheTtlSeconds = 60
  })
  aggregator_environment = merge(var.aggregator_extra_environment, var.xray_daemon_address == "" ? {} : {
    AWS_XRAY_DAEMON_ADDRESS = var.xray_daemon_address
    }, {
    PORTICO_LIMIT_PER_IP_PER_MINUTE = tostring(var.limit_per_ip_per_minute)
    PORTICO_CONFIG_REFRESH          = var.config_refresh
    PORTICO_MESH_SECRET             = "${var.name}/mesh/gateway"
    # The emulator answers a DynamoDB call in tens of milliseconds, and far
    # more on a loaded machine; DynamoDB in the region in single digits. The
    # default (250ms) is for AWS.
    PORTICO_STORE_TIMEOUT = "2s"
  })
}

# The aggregator's route table (internal/route): the design chapter's routes
# and the per-route permissions. The aggregator checks the configuration's
# revision every config_refresh, so a change here needs only `terraform
# apply`, no redeploy. Route timeouts must fit behind the API's integration
# timeout less 2 s, or plan refuses them: the orders routes' 30 s fit behind
# the 32 s above.
resource "portico_route_table" "routes" {
  table_name             = module.gateway.table_name
  integration_timeout_ms = module.gateway.integration_timeout_ms
  # Checks the gRPC routes against their descriptor sets at plan time, and
  # writes the sets before the routes.
  descriptors = { payments = portico_grpc_descriptors.payments.filename }
  document = jsonencode({
    version     = 1
    revision    = "demo"
    permissions = var.permissions
    routes = [
      {
        id = "users", match = { pathPrefix = "/api/v1/users" }, service = "user-service", stripPrefix = "/api/v1", userSpecific = true,
        # Testers (and the demo's admin) may pick user-service's v2 with X-Test-User: true.
        headerRoutes = { anyRole = ["tester", "admin"] }
      },
      { id = "users-v2", match = { pathPrefix = "/api/v1/users", version = "2" }, service = "api-v2-service", stripPrefix = "/api/v1", userSpecific = true },
      {
        id          = "products"
        match       = { pathPrefix = "/api/v1/products", methods = ["GET"] }
        service     = "product-service"
        stripPrefix = "/api/v1"
        cache       = { ttl = "5m", vary = ["Accept-Language", "Accept-Encoding"], staleIfError = "1m" }
      },
      {
        id          = "products-fr"
        match       = { pathPrefix = "/api/v1/products", methods = ["GET"], headers = [{ name = "Accept-Language", prefix = "fr" }] }
        service     = "french-content-service"
        stripPrefix = "/api/v1"
      },
      { id = "orders", match = { pathPrefix = "/api/v1/orders" }, service = "order-service", stripPrefix = "/api/v1", timeout = "30s" },
      { id = "order", match = { path = "/api/v1/orders/{id}", methods = ["GET"] }, service = "order-service", stripPrefix = "/api/v1", timeout = "30s" },
      { id = "notifications", match = { pathPrefix = "/api/v1/notifications" }, service = "notification-service", stripPrefix = "/api/v1" },
      { id = "search", match = { pathPrefix = "/api/v1/search", methods = ["GET"] }, service = "product-service", stripPrefix = "/api/v1", cache = { ttl = "60s", query = ["q"] } },
      { id = "v2", match = { pathPrefix = "/api/v2" }, service = "api-v2-service", stripPrefix = "/api/v2" },
      # gRPC: JSON clients reach payments.v1.PaymentService (localstack/grpcpay).
      {
        id    = "payments-charge"
        match = { path = "/api/v1/payments", methods = ["POST"] }
        grpc  = { service = "payment-grpc-service", descriptors = "payments", method = "payments.v1.PaymentService/Charge", body = "*" }
      },
      {
        id          = "payments-grpc"
        match       = { pathPrefix = "/api/v1/grpc" }
        stripPrefix = "/api/v1/grpc"
        timeout     = "2s"
        grpc        = { service = "payment-grpc-service", descriptors = "payments", annotations = "payments.v1.PaymentService" }
      },
      {
        id                   = "dashboard"
        match                = { path = "/user-dashboard", methods = ["GET"] }
        timeout              = "10s"
        allowClientRequestId = true
        composite = {
          calls = [
            { key = "user", service = "user-service", path = "/users/{userId}" },
            { key = "orders", service = "order-service", path = "/orders?userId={userId}&limit=5", timeout = "5s", optional = true },
            { key = "notifications", service = "notification-service", path = "/notifications?userId={userId}&unread=true", timeout = "2s", optional = true },
          ]
        }
      },
    ]
  })
}

# Rate limits (pkg/ratelimit document), checked by the aggregator on every request.
resource "portico_limits" "limits" {
  table_name = module.gateway.table_name
  document = jsonencode({
    version = 1
    rules = [
      { name = "ip", dimension = "ip", requests = var.limit_per_ip_per_minute, window = "1m", failMode = "open", floor = var.limit_per_ip_per_minute },
      { name = "key", dimension = "apikey", requests = var.limit_per_key_per_minute, window = "1m", algorithm = "sliding" },
      { name = "search", dimension = "endpoint", route = "/api/v1/search", requests = var.search_limit_per_minute, window = "1m" },
      { name = "tier-free", dimension = "tier", tier = "free", requests = var.tier_limits_per_hour.free, window = "1h" },
      { name = "tier-pro", dimension = "tier", tier = "pro", requests = var.tier_limits_per_hour.pro, window = "1h" },
      { name = "tier-enterprise", dimension = "tier", tier = "enterprise", requests = var.tier_limits_per_hour.enterprise, window = "1h", lease = 10 },
    ]
  })
}

# One demo API key per tier, generated by the provider and kept in state
# (terraform output -json api_keys): fine for a local stack. Production keys
# are made and kept elsewhere and given as key_hash (docs/terraform.md).
resource "portico_api_key" "demo" {
  for_each   = toset(["free", "pro", "enterprise"])
  table_name = module.gateway.table_name
  name       = "${var.name}-demo-${each.key}"
  tier       = each.key
  generate   = true
}

# The mesh's certificates: a CA, the gateway's certificate (the aggregator
# presents it: PORTICO_MESH_SECRET) and one per demo service (the demo
# services serve mutual TLS with it and accept only the gateway).
resource "portico_mesh_ca" "mesh" {
  name = "${var.name}/mesh/ca"
}

resource "portico_mesh_certificate" "mesh" {
  for_each    = setunion(local.services, ["gateway"])
  name        = "${var.name}/mesh/${each.key}"
  ca_secret   = portico_mesh_ca.mesh.name
  ca_cert_pem = portico_mesh_ca.mesh.cert_pem
  service     = each.key
}

# The demo services, one mesh service each, on the loopback ports the demo
# services (make demo) or the tests listen on. Every one requires mutual TLS;
# user-service runs a v2 canary (10 %), which callers the gateway lets choose
# (headerRoutes) reach with X-Test-User: true. The policies are written to
# Cloud Map and to the gateway's state table (table_name), where the
# aggregator reads them.
locals {
  policies = merge({ for s in local.services : s => { mtls = true } }, {
    "user-service" = {
      mtls     = true
      versions = [{ version = "v1", weight = 90 }, { version = "v2", weight = 10 }]
      routes   = [{ header = "X-Test-User", value = "true", version = "v2" }]
    }
  })
  instances = merge({ for s in local.services : s => {
    "${s}-1" = { address = var.backend_host, port = var.backend_ports[s], attributes = { version = "v1" } }
    } }, {
    "user-service" = {
      "user-service-1" = { address = var.backend_host, port = var.backend_ports["user-service"], attributes = { version = "v1" } }
      "user-service-2" = { address = var.backend_host, port = var.backend_ports["user-service-v2"], attributes = { version = "v2" } }
    }
  })
}

module "service" {
  source       = "../modules/mesh-service"
  for_each     = local.services
  name         = each.key
  namespace_id = module.gateway.namespace_id
  table_name   = module.gateway.table_name
  policy       = jsonencode(local.policies[each.key])
  instances    = local.instances[each.key]
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
