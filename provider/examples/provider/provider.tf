# Real AWS: region and credentials from the default AWS chain.
provider "portico" {
  region = "eu-west-1"
}

# A LocalStack-compatible emulator serving HTTPS with a local CA.
provider "portico" {
  alias     = "local"
  region    = "us-east-1"
  endpoint  = "https://localhost:4566"
  ca_bundle = "${path.module}/../localstack/certs/ca.pem"
}
