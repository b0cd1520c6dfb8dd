# The demo's configuration documents: the authorizer's settings, the route
# table and the limits. They are locals so that `make demo-docs` can read them
# with `terraform console` (no state, no emulator) and hand them to the
# portico command: check, explain and openapi run on exactly what the demo
# applies.

locals {
  # Claims of the demo's tokens that reach the gateway: email as
  # X-User-Email, and the tenant (an Auth0-style URL claim) as X-User-Tenant,
  # which the tenant quotas and the usage counters count per.
  claim_mappings = { email = "email", "https://portico.dev/tenant" = "tenant" }

  # The local OpenID Connect issuer (devtoken serve, or the tests' own) is
  # configured by its URL alone: the authorizer reads its discovery document
  # and takes its JWKS from there. Its tokens carry Keycloak-style roles.
  oidc_issuers = var.oidc_issuer == "" ? [] : [{
    issuer        = var.oidc_issuer
    audiences     = [var.jwt_audience]
    rolesClaim    = "realm_access.roles"
    claimMappings = local.claim_mappings
  }]

  auth_settings = jsonencode({
    issuers = concat([{
      issuer        = var.jwt_issuer
      audiences     = [var.jwt_audience]
      algorithms    = ["RS256", "ES256", "EdDSA"]
      publicKeys    = { (var.jwt_kid) = file(var.jwt_public_key) }
      claimMappings = local.claim_mappings
    }], local.oidc_issuers)
    cacheTtlSeconds = 60
  })

  routes_document = jsonencode({
    version     = 1
    revision    = "demo"
    permissions = var.permissions
    # Addresses no route serves (TEST-NET-1, a documentation range): 403
    # before anything else.
    ip = { deny = var.denied_networks }
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
      # The partner API: only from partner networks, small bodies, a header
      # the backend can trust came from the gateway, and lean answers.
      {
        id              = "partner"
        match           = { pathPrefix = "/partner/v1" }
        service         = "user-service"
        stripPrefix     = "/partner/v1"
        ip              = { allow = var.partner_networks }
        maxBodyBytes    = 256
        requestHeaders  = { set = { "X-Partner-Gateway" = "portico" }, remove = ["X-Debug"] }
        responseHeaders = { allow = ["Content-Type", "ETag"], set = { "Cache-Control" = "no-store", "X-Content-Type-Options" = "nosniff" } }
      },
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
      # The dashboard a phone shows: only the fields it displays.
      {
        id      = "user-summary"
        match   = { path = "/user-summary", methods = ["GET"] }
        timeout = "10s"
        composite = {
          calls = [
            { key = "user", service = "user-service", path = "/users/{userId}", fields = ["user.id", "user.name"], rename = { user = "profile" } },
            { key = "orders", service = "order-service", path = "/orders?userId={userId}&limit=5", timeout = "5s", optional = true, fields = ["orders"] },
          ]
        }
      },
    ]
  })

  limits_document = jsonencode({
    version = 1
    rules = [
      { name = "ip", dimension = "ip", requests = var.limit_per_ip_per_minute, window = "1m", failMode = "open", floor = var.limit_per_ip_per_minute },
      { name = "key", dimension = "apikey", requests = var.limit_per_key_per_minute, window = "1m", algorithm = "sliding" },
      { name = "search", dimension = "endpoint", route = "/api/v1/search", requests = var.search_limit_per_minute, window = "1m" },
      { name = "tier-free", dimension = "tier", tier = "free", requests = var.tier_limits_per_hour.free, window = "1h" },
      { name = "tier-pro", dimension = "tier", tier = "pro", requests = var.tier_limits_per_hour.pro, window = "1h" },
      { name = "tier-enterprise", dimension = "tier", tier = "enterprise", requests = var.tier_limits_per_hour.enterprise, window = "1h", lease = 10 },
      # Quotas a tenant's users share (a caller without the tenant claim is
      # counted per subject): per UTC day, and per calendar month.
      { name = "tenant-daily", dimension = "claim", claim = "tenant", requests = var.tenant_quota.daily, window = "1d" },
      { name = "tenant-monthly", dimension = "claim", claim = "tenant", requests = var.tenant_quota.monthly, window = "month", lease = 10 },
    ]
    # Hourly usage per API key, route and tenant (portico usage reads it).
    usage = { claim = "tenant" }
  })
}

# The authorizer's own parser checks its settings at plan time.
data "portico_auth_settings" "demo" {
  document = local.auth_settings
}
