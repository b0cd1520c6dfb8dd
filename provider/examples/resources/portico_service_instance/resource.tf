resource "portico_service_instance" "users_1" {
  service_id  = portico_service.users.id
  instance_id = "users-1"
  address     = "10.0.1.17"
  port        = 8080
  attributes = {
    version = "1.4.0"
  }
}
