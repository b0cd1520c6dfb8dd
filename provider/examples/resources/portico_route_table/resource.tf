resource "portico_route_table" "routes" {
  table_name = portico_table.state.name
  document = jsonencode({
    version  = 1
    revision = "2026-11-25.1"
    routes = [
      { id = "users", match = { pathPrefix = "/api/v1/users" }, service = "user-service", stripPrefix = "/api/v1" },
      { id = "products", match = { pathPrefix = "/api/v1/products", methods = ["GET"] }, service = "product-service", stripPrefix = "/api/v1" },
      {
        id          = "products-fr"
        match       = { pathPrefix = "/api/v1/products", methods = ["GET"], headers = [{ name = "Accept-Language", prefix = "fr" }] }
        service     = "french-content-service"
        stripPrefix = "/api/v1"
      },
      { id = "orders", match = { pathPrefix = "/api/v1/orders" }, service = "order-service", stripPrefix = "/api/v1", timeout = "29s" },
      { id = "v2", match = { pathPrefix = "/api/v2" }, service = "api-v2-service", stripPrefix = "/api/v2" },
      {
        id      = "dashboard"
        match   = { path = "/user-dashboard" }
        timeout = "5s"
        composite = {
          calls = [
            { key = "user", service = "user-service", path = "/users/{userId}" },
            { key = "orders", service = "order-service", path = "/orders?userId={userId}&limit=5", timeout = "2s", optional = true },
          ]
        }
      },
    ]
  })
}
