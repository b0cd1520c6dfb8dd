resource "portico_api_key" "acme" {
  table_name = portico_table.state.name
  name       = "partner-acme"
  tier       = "pro"
  # key is generated when left out; read it with `terraform output -raw` from a sensitive output.
}
