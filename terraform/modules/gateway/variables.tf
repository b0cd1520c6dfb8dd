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

variable "aggregator_timeout" {
  description = "Seconds the aggregator may run (API Gateway waits 29 at most); its request deadline, which composite and backend calls share."
  type        = number
  default     = 29
}

variable "auth_config" {
  description = "The authorizer's settings document, JSON (see the README: issuers, keys, claims)."
  type        = string
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
