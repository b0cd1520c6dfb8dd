resource "portico_table" "rate_limits" {
  name          = "portico-rate-limits"
  hash_key      = "key"
  range_key     = "window"
  ttl_attribute = "expires_at"
}
