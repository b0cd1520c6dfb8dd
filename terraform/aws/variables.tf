variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "portico"
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "stage_name" {
  description = "API Gateway stage."
  type        = string
  default     = "v1"
}

variable "namespace" {
  description = "Cloud Map HTTP namespace your services register in."
  type        = string
  default     = "portico.internal"
}

variable "architecture" {
  description = "Lambda architecture of the zips: arm64 for `make build` (the end-to-end test applies this root with host zips)."
  type        = string
  default     = "arm64"
}

variable "authorizer_zip" {
  description = "Path of the arm64 authorizer zip (make build)."
  type        = string
  default     = "../../.portico/build/aws/authorizer.zip"
}

variable "aggregator_zip" {
  description = "Path of the arm64 aggregator zip (make build)."
  type        = string
  default     = "../../.portico/build/aws/aggregator.zip"
}

variable "jwt_public_key" {
  description = "Path of the PEM public key that verifies tokens."
  type        = string
}

variable "jwt_issuer" {
  description = "Required iss claim of tokens."
  type        = string
}

variable "jwt_audience" {
  description = "Required aud claim of tokens."
  type        = string
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

variable "tier_limits_per_hour" {
  description = "Requests per API key per hour, by tier."
  type        = object({ free = number, pro = number, enterprise = number })
  default     = { free = 100, pro = 1000, enterprise = 10000 }
}

variable "route_table_file" {
  description = "Path of the aggregator's route table document (JSON, see docs/routes.md)."
  type        = string
  default     = "routes.json"
}

variable "authorizer_environment" {
  description = "More environment of the authorizer, such as PORTICO_CONFIG_REFRESH (default 30s)."
  type        = map(string)
  default     = {}
}

variable "aggregator_environment" {
  description = "More environment of the aggregator, such as PORTICO_CONFIG_REFRESH, PORTICO_STORE_TIMEOUT or PORTICO_TRACING (docs/configuration.md)."
  type        = map(string)
  default     = {}
}

variable "profile" {
  description = "Profile of the shared AWS config and credentials files; null: AWS_PROFILE or default."
  type        = string
  default     = null
}

variable "assume_role_arn" {
  description = "A role to deploy as (assumed with the profile's credentials); null: the credentials themselves."
  type        = string
  default     = null
}

variable "allowed_account_ids" {
  description = "The only AWS accounts this root may deploy to (the provider stops before touching any other); null: any."
  type        = list(string)
  default     = null
}

variable "tags" {
  description = "Tags of everything the root creates (the provider's default_tags)."
  type        = map(string)
  default     = { application = "portico" }
}

variable "vpc_subnet_ids" {
  description = "Private subnets of the services' VPC for the aggregator (at least two Availability Zones); empty: outside any VPC, which reaches only services with public addresses. See README.md for the VPC endpoints (or NAT) it then needs."
  type        = list(string)
  default     = []
}

variable "vpc_security_group_ids" {
  description = "Security groups of the aggregator in the VPC: outbound to the services' ports and to the VPC endpoints (443)."
  type        = list(string)
  default     = []
}

variable "integration_timeout_ms" {
  description = "API Gateway's integration timeout, ms: 29000 unless AWS raised the account's quota for Regional APIs. The aggregator's timeout is a second shorter; route timeouts in routes.json must be 2 s shorter (plan refuses longer ones)."
  type        = number
  default     = 29000
}

variable "tracing" {
  description = "Active X-Ray tracing on the stage and both functions."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days the functions' and the stage's log groups keep their logs."
  type        = number
  default     = 30
}

variable "access_log" {
  description = "JSON access log of the stage, in a log group the provider creates; also sets API Gateway's account-level CloudWatch Logs role of the region (shared by every API there)."
  type        = bool
  default     = true
}

variable "throttle_rate_limit" {
  description = "Stage throttling, requests per second: API Gateway answers 429 beyond it before any Lambda runs."
  type        = number
  default     = 1000
}

variable "throttle_burst_limit" {
  description = "Stage throttling, burst."
  type        = number
  default     = 2000
}

variable "cors_allow_origins" {
  description = "Origins of the web pages that may call the API from a browser, e.g. [\"https://app.example.com\"]; empty: no CORS. One origin makes API Gateway's own errors (401, 429) readable by its pages too."
  type        = list(string)
  default     = []
}

variable "domain_name" {
  description = "Custom domain of the API, e.g. api.example.com; empty: the execute-api URL only."
  type        = string
  default     = ""
}

variable "certificate_arn" {
  description = "ACM certificate of domain_name, in this region (required with domain_name)."
  type        = string
  default     = ""
}

variable "base_path" {
  description = "Path under domain_name where the API is served (empty: the root)."
  type        = string
  default     = ""
}
