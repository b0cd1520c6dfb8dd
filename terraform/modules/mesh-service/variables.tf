variable "name" {
  description = "Logical service name that callers use (http://<name>/...)."
  type        = string
}

variable "namespace_id" {
  description = "Cloud Map HTTP namespace ID (the gateway module's namespace_id)."
  type        = string
}

variable "policy" {
  description = "Traffic policy JSON (pkg/mesh Policy: versions, routes, retry, outlier, pool), or null for the defaults."
  type        = string
  default     = null
}

variable "table_name" {
  description = "State table of the gateway that calls the service: the policy is also written there, where the aggregator reads it (null: Cloud Map only)."
  type        = string
  default     = null
}

variable "instances" {
  description = "Instances by ID: address, port and attributes (for example version)."
  type = map(object({
    address    = string
    port       = number
    attributes = optional(map(string), {})
  }))
}
