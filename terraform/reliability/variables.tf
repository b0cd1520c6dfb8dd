variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "reliability"
}

variable "region" {
  description = "AWS region the emulator pretends to be."
  type        = string
  default     = "us-east-1"
}

variable "endpoint" {
  description = "Base URL of the emulator."
  type        = string
}

variable "ca_bundle" {
  description = "PEM file of the CA that signed the emulator's certificate; null for a publicly trusted one."
  type        = string
  default     = null
}

variable "architecture" {
  description = "Lambda architecture of the zips: the host's."
  type        = string
  default     = "x86_64"
}

variable "authorizer_zip" {
  description = "Path of the authorizer function zip."
  type        = string
}

variable "aggregator_zip" {
  description = "Path of the aggregator function zip."
  type        = string
}

variable "integration_timeout_ms" {
  description = "API Gateway's integration timeout; the aggregator may run a second less (10 s), the deadline the ledger route's fan-out reaches."
  type        = number
  default     = 11000
}

variable "jwt_issuer" {
  description = "Required iss claim of tokens."
  type        = string
}

variable "jwt_audience" {
  description = "Required aud claim of tokens."
  type        = string
}

variable "jwks_url" {
  description = "The JWKS endpoint the harness serves (plain http on a loopback address)."
  type        = string
}

variable "authorizer_ttl" {
  description = "Seconds API Gateway caches an authorizer decision."
  type        = number
  default     = 30
}

variable "store_timeout" {
  description = "PORTICO_STORE_TIMEOUT: the bound of each state-table call of a request (the emulator answers in tens of milliseconds, more under load)."
  type        = string
  default     = "2s"
}

variable "runtime_metrics" {
  description = "PORTICO_RUNTIME_METRICS: how often an aggregator instance logs its goroutines and memory."
  type        = string
  default     = "15s"
}

variable "global_limit_per_second" {
  description = "The global limit (fail open)."
  type        = number
  default     = 1000
}

variable "ip_limit_per_minute" {
  description = "The per-IP limit (fail open): above what the load's ordinary client IPs send, below what its hot IP sends."
  type        = number
  default     = 60
}

variable "ip_floor_per_minute" {
  description = "What one aggregator instance admits per IP and minute while the per-IP limit fails open."
  type        = number
  default     = 20
}

variable "search_limit_per_minute" {
  description = "The search endpoint's limit per caller (fail closed)."
  type        = number
  default     = 20
}

variable "api_key_names" {
  description = "API keys the load uses (tier pro)."
  type        = list(string)
  default     = ["load-1", "load-2", "load-3"]
}

variable "backend_host" {
  description = "Address the harness's services listen on."
  type        = string
  default     = "127.0.0.1"
}

variable "instances" {
  description = "Each service's instances: instance ID to port, on backend_host."
  type        = map(map(number))
}

variable "payment_grpc_port" {
  description = "Port of the gRPC payment service."
  type        = number
}

variable "payments_descriptors" {
  description = "Path of the payment service's descriptor set."
  type        = string
  default     = "../../localstack/grpcpay/payments.binpb"
}

variable "aggregator_extra_environment" {
  description = "More environment of the aggregator: the fault proxy's endpoints (AWS_ENDPOINT_URL_DYNAMODB, ..._SERVICEDISCOVERY, ..._SECRETS_MANAGER)."
  type        = map(string)
  default     = {}
}

variable "gateway_certificate_hours" {
  description = "Validity of the gateway's mesh certificate; changing it re-issues the certificate in place (a rotation)."
  type        = number
  default     = 720
}
