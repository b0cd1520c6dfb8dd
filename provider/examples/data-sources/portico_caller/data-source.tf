data "portico_caller" "current" {}

output "account_id" {
  value = data.portico_caller.current.account_id
}
