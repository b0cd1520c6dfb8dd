variable "name" {
  description = "Name prefix of every resource."
  type        = string
}

variable "namespace" {
  description = "Cloud Map HTTP namespace the services register in."
  type        = string
}

variable "architecture" {
  description = "Lambda architecture of the zips: arm64 on AWS, the host's on an emulator."
  type        = string
  default     = "arm64"
}

variable "authorizer_zip" {
  description = "Path of the authorizer function zip (make build / make lambdas)."
  type        = string
}

variable "aggregator_zip" {
  description = "Path of the aggregator function zip (make build / make lambdas)."
  type        = string
}

variable "authorizer_role_arn" {
  description = "Execution role of the authorizer (portico_lambda_role)."
  type        = string
}

variable "aggregator_role_arn" {
  description = "Execution role of the aggregator (portico_lambda_role)."
  type        = string
}

variable "authorizer_memory_size" {
  description = "Memory of the authorizer, MB."
  type        = number
  default     = 256
}

variable "aggregator_memory_size" {
  description = "Memory of the aggregator, MB."
  type        = number
  default     = 512
}

variable "auth_config" {
  description = "The authorizer's settings document, JSON (docs/auth.md: issuers, keys, claims), written to the state table where the authorizer follows it."
  type        = string
}

variable "authorizer_environment" {
  description = "Further environment of the authorizer, e.g. PORTICO_CONFIG_REFRESH (see functions/authorizer)."
  type        = map(string)
  default     = {}
}

variable "aggregator_environment" {
  description = "Further environment of the aggregator, e.g. PORTICO_CONFIG_REFRESH and PORTICO_MESH_SECRET (see internal/aggregator.Env)."
  type        = map(string)
  default     = {}
}

variable "authorizer_ttl" {
  description = "Seconds API Gateway caches an authorizer decision (0-3600)."
  type        = number
  default     = 300
}

variable "stage_name" {
  description = "API Gateway stage."
  type        = string
  default     = "v1"
}

variable "realm" {
  description = "Realm in the WWW-Authenticate challenges."
  type        = string
  default     = "portico"
}

variable "integration_timeout_ms" {
  description = "API Gateway's integration timeout, ms: 29000 unless AWS raised the account's quota (Regional APIs). The aggregator's timeout is a second shorter, and route timeouts must be 2 s shorter."
  type        = number
  default     = 29000
}

variable "log_retention_days" {
  description = "Days the functions' log groups keep their logs."
  type        = number
  default     = 30
}

variable "vpc_subnet_ids" {
  description = "Subnets of the aggregator, in the VPC of the services it calls (empty: no VPC). It then reaches AWS APIs through VPC endpoints or a NAT gateway (docs/aws.md)."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups of the aggregator in the VPC; they must allow its calls to the services and to the VPC endpoints."
  type        = list(string)
  default     = []
}

variable "tracing" {
  description = "Active X-Ray tracing on the stage and the functions (their roles need xray:PutTraceSegments and xray:PutTelemetryRecords)."
  type        = bool
  default     = false
}

variable "cors" {
  description = "CORS policy for browser clients (portico_api's cors); null: none."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string))
    allow_headers     = optional(list(string))
    expose_headers    = optional(list(string))
    allow_credentials = optional(bool, false)
    max_age           = optional(number, 0)
  })
  default = null
}

variable "access_log" {
  description = "The stage's access log (portico_api's access_log); null: none."
  type = object({
    retention_days      = optional(number, 30)
    cloudwatch_role_arn = optional(string)
  })
  default = null
}

variable "throttling" {
  description = "Stage throttling, requests per second and burst (portico_api's throttling); null: API Gateway's account limits only."
  type = object({
    rate_limit  = number
    burst_limit = number
  })
  default = null
}

variable "tags" {
  description = "Tags of every resource the module creates (over the provider's default_tags)."
  type        = map(string)
  default     = {}
}
