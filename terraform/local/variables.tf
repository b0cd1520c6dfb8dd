variable "name" {
  description = "Name prefix of every resource; lets the demo and the tests share one emulator."
  type        = string
  default     = "portico"
}

variable "region" {
  description = "AWS region the emulator pretends to be."
  type        = string
  default     = "us-east-1"
}

variable "endpoint" {
  description = "Base URL of the emulator (MiniStack or LocalStack)."
  type        = string
  default     = "https://localhost:4566"
}

variable "ca_bundle" {
  description = "PEM file of the CA that signed the emulator's certificate; null for a publicly trusted one."
  type        = string
  default     = null
}

variable "architecture" {
  description = "Lambda architecture of the zips: the host's for a local emulator."
  type        = string
  default     = "x86_64"
}

variable "authorizer_zip" {
  description = "Path of the authorizer function zip (built by make)."
  type        = string
}

variable "aggregator_zip" {
  description = "Path of the aggregator function zip (built by make)."
  type        = string
}

variable "jwt_public_key" {
  description = "Path of the PEM public key that verifies tokens."
  type        = string
}

variable "jwt_kid" {
  description = "Key ID of the signing key; tokens naming no kid are checked against it too."
  type        = string
  default     = "portico-demo-1"
}

variable "jwt_issuer" {
  description = "Required iss claim of tokens."
  type        = string
  default     = "https://portico.local"
}

variable "jwt_audience" {
  description = "Required aud claim of tokens."
  type        = string
  default     = "portico"
}

variable "authorizer_ttl" {
  description = "Seconds API Gateway caches an authorizer decision (0-3600)."
  type        = number
  default     = 300
}

variable "limit_per_ip_per_minute" {
  description = "Requests per client IP per minute."
  type        = number
  default     = 100
}

variable "limit_per_key_per_minute" {
  description = "Requests per API key per minute (sliding window)."
  type        = number
  default     = 1000
}

variable "search_limit_per_minute" {
  description = "Requests per API key per minute to /api/v1/search."
  type        = number
  default     = 10
}

variable "tier_limits_per_hour" {
  description = "Requests per API key per hour, by tier."
  type        = object({ free = number, pro = number, enterprise = number })
  default     = { free = 100, pro = 1000, enterprise = 10000 }
}

variable "backend_host" {
  description = "Address the demo services listen on, registered in Cloud Map."
  type        = string
  default     = "127.0.0.1"
}

variable "backend_ports" {
  description = "Port of each demo service."
  type        = map(number)
  default = {
    "user-service"           = 18081
    "user-service-v2"        = 18088
    "order-service"          = 18082
    "notification-service"   = 18083
    "product-service"        = 18084
    "french-content-service" = 18085
    "api-v2-service"         = 18086
  }
}

variable "config_refresh" {
  description = "How often the functions check the configuration's revision (a Go duration)."
  type        = string
  default     = "5s"
}

variable "permissions" {
  description = "Per-route role and scope requirements the aggregator enforces, written into the route table (see internal/route.Permission)."
  type = list(object({
    path      = string
    methods   = optional(list(string), [])
    anyRole   = optional(list(string), [])
    allScopes = optional(list(string), [])
  }))
  default = [
    { path = "/api/v1/users", methods = ["POST", "PUT", "PATCH", "DELETE"], anyRole = ["admin"] },
    { path = "/api/v1/orders", methods = ["POST", "PUT", "PATCH", "DELETE"], anyRole = ["admin", "clerk"] },
    { path = "/api/v1/notifications", methods = ["GET"], anyRole = ["admin", "reader"] },
  ]
}

variable "xray_daemon_address" {
  description = "Where the aggregator sends X-Ray segments (AWS_XRAY_DAEMON_ADDRESS); make demo's dashtrace listens there. Empty: no tracing."
  type        = string
  default     = "127.0.0.1:2000"
}

variable "aggregator_extra_environment" {
  description = "More environment variables of the aggregator, such as AWS_ENDPOINT_URL_DYNAMODB pointing at a fault proxy (the tests use one)."
  type        = map(string)
  default     = {}
}

variable "payment_grpc_port" {
  description = "Port of the demo gRPC payment service (localstack/grpcpay) on backend_host."
  type        = number
  default     = 18087
}

variable "payments_descriptors" {
  description = "Path of the payment service's descriptor set (a binary FileDescriptorSet)."
  type        = string
  default     = "../../localstack/grpcpay/payments.binpb"
}

variable "oidc_issuer" {
  description = "URL of an OpenID Connect issuer the authorizer trusts by discovery alone (make demo runs one: devtoken serve); empty for none."
  type        = string
  default     = ""
}

variable "tenant_quota" {
  description = "Requests a tenant's users share per UTC day and per calendar month."
  type        = object({ daily = number, monthly = number })
  default     = { daily = 10000, monthly = 200000 }
}

variable "partner_networks" {
  description = "Client networks (CIDR) the partner route serves."
  type        = list(string)
  default     = ["10.0.0.0/8", "2001:db8::/32"]
}

variable "denied_networks" {
  description = "Client networks (CIDR) no route serves."
  type        = list(string)
  default     = ["192.0.2.0/24"]
}

variable "integration_timeout_ms" {
  description = "API Gateway's integration timeout, ms; the orders routes' 30 s need more than the default 29000."
  type        = number
  default     = 32000
}

variable "cors_origin" {
  description = "The origin whose pages may call the API from a browser (make demo's page)."
  type        = string
  default     = "https://app.portico.local"
}
