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
