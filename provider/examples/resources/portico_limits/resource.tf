resource "portico_limits" "this" {
  table_name = portico_table.state.name
  document = jsonencode({
    version = 1
    rules = [
      { name = "global", dimension = "global", requests = 10000, window = "1s", shards = 10, lease = 10, failMode = "open" },
      { name = "ip", dimension = "ip", requests = 100, window = "1m", failMode = "open" },
      { name = "key", dimension = "apikey", requests = 1000, window = "1m", algorithm = "sliding" },
      { name = "search", dimension = "endpoint", route = "/api/v1/search", requests = 10, window = "1m" },
      { name = "tier-free", dimension = "tier", tier = "free", requests = 100, window = "1h" },
      { name = "tier-pro", dimension = "tier", tier = "pro", requests = 1000, window = "1h" },
      { name = "tier-enterprise", dimension = "tier", tier = "enterprise", requests = 10000, window = "1h" },
    ]
  })
}
