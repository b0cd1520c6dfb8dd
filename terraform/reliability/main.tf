# The stack `make reliability` drives load and faults through
# (localstack/reliability): Portico on the local emulator with a route of each
# kind (single, composite, cached, limited, gRPC, one that outlives the
# function's deadline), limits that fail open and fail closed, tokens checked
# against a JWKS endpoint the harness serves, and services with several
# instances on ports the harness controls. The harness points the
# aggregator's DynamoDB, Cloud Map and Secrets Manager endpoints at its fault
# proxy (aggregator_extra_environment).

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
  # Emulators accept any role.
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
  integration_timeout_ms = var.integration_timeout_ms
  authorizer_ttl         = var.authorizer_ttl
  auth_config = jsonencode({
    issuers = [{
      issuer     = var.jwt_issuer
      audiences  = [var.jwt_audience]
      algorithms = ["RS256"]
      jwksUrl    = var.jwks_url
    }]
    cacheTtlSeconds = 30
  })
  aggregator_environment = merge(var.aggregator_extra_environment, {
    PORTICO_CONFIG_REFRESH  = "5s"
    PORTICO_STORE_TIMEOUT   = var.store_timeout
    PORTICO_RUNTIME_METRICS = var.runtime_metrics
    # The gateway's mesh certificate, for vault-service, which requires
    # mutual TLS (its policy, written by the harness).
    PORTICO_MESH_SECRET = portico_mesh_certificate.gateway.name
  })
}

# The mesh CA and two certificates: the gateway's (re-issued in place when
# gateway_certificate_hours changes: the harness's rotation) and
# vault-service's, which the harness serves with.
resource "portico_mesh_ca" "mesh" {
  name = "${var.name}/mesh/ca"
}

resource "portico_mesh_certificate" "gateway" {
  name           = "${var.name}/mesh/gateway"
  ca_secret      = portico_mesh_ca.mesh.name
  ca_cert_pem    = portico_mesh_ca.mesh.cert_pem
  service        = "gateway"
  validity_hours = var.gateway_certificate_hours
}

resource "portico_mesh_certificate" "vault" {
  name        = "${var.name}/mesh/vault"
  ca_secret   = portico_mesh_ca.mesh.name
  ca_cert_pem = portico_mesh_ca.mesh.cert_pem
  service     = "vault-service"
}

resource "portico_route_table" "routes" {
  table_name             = module.gateway.table_name
  integration_timeout_ms = module.gateway.integration_timeout_ms
  descriptors            = { payments = portico_grpc_descriptors.payments.filename }
  document = jsonencode({
    version  = 1
    revision = "reliability"
    routes = [
      # single
      { id = "users", match = { pathPrefix = "/api/v1/users" }, service = "user-service", stripPrefix = "/api/v1", userSpecific = true, timeout = "5s" },
      # cached
      {
        id          = "products"
        match       = { pathPrefix = "/api/v1/products", methods = ["GET"] }
        service     = "product-service"
        stripPrefix = "/api/v1"
        timeout     = "5s"
        # product-service gzips for clients that accept it, and says so in
        # Vary: the key must vary on it, or nothing is stored.
        cache = { ttl = "30s", vary = ["Accept-Encoding"] }
      },
      # limited (a fail-closed endpoint limit, below)
      { id = "search", match = { pathPrefix = "/api/v1/search", methods = ["GET"] }, service = "product-service", stripPrefix = "/api/v1", timeout = "5s" },
      # mutual TLS
      { id = "vault", match = { pathPrefix = "/api/v1/vault" }, service = "vault-service", stripPrefix = "/api/v1", timeout = "5s" },
      # gRPC
      {
        id      = "payments-charge"
        match   = { path = "/api/v1/payments", methods = ["POST"] }
        timeout = "5s"
        grpc    = { service = "payment-grpc-service", descriptors = "payments", method = "payments.v1.PaymentService/Charge", body = "*" }
      },
      # composite: a required call and two optional ones
      {
        id      = "dashboard"
        match   = { path = "/user-dashboard", methods = ["GET"] }
        timeout = "8s"
        composite = {
          calls = [
            { key = "user", service = "user-service", path = "/users/{userId}", timeout = "4s" },
            { key = "orders", service = "order-service", path = "/orders?userId={userId}&limit=5", timeout = "2s", optional = true },
            { key = "notifications", service = "notification-service", path = "/notifications?userId={userId}", timeout = "1s", optional = true },
          ]
        }
      },
      # a fan-out whose route timeout fits the function only when it starts
      # at once: when the steps before it are slow, the function's deadline
      # ends it.
      {
        id      = "ledger"
        match   = { path = "/ledger", methods = ["GET"] }
        timeout = "9s"
        composite = {
          calls = [
            { key = "user", service = "user-service", path = "/users/{userId}" },
            { key = "ledger", service = "ledger-service", path = "/ledger?userId={userId}" },
          ]
        }
      },
    ]
  })
}

resource "portico_limits" "limits" {
  table_name = module.gateway.table_name
  document = jsonencode({
    version = 1
    rules = [
      { name = "global", dimension = "global", requests = var.global_limit_per_second, window = "1s", failMode = "open", floor = var.global_limit_per_second },
      { name = "ip", dimension = "ip", requests = var.ip_limit_per_minute, window = "1m", failMode = "open", floor = var.ip_floor_per_minute },
      { name = "search", dimension = "endpoint", route = "/api/v1/search", requests = var.search_limit_per_minute, window = "1m", failMode = "closed" },
    ]
  })
}

resource "portico_api_key" "load" {
  for_each   = toset(var.api_key_names)
  table_name = module.gateway.table_name
  name       = "${var.name}-${each.key}"
  tier       = "pro"
  generate   = true
}

module "service" {
  source       = "../modules/mesh-service"
  for_each     = var.instances
  name         = each.key
  namespace_id = module.gateway.namespace_id
  instances = {
    for id, port in each.value : id => { address = var.backend_host, port = port, attributes = { version = "v1" } }
  }
}

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
