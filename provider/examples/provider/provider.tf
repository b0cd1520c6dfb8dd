# Real AWS: region and credentials from the default AWS chain.
provider "portico" {
  region = "eu-west-1"
}

# Real AWS through a role of a deployment account, only ever in that
# account, with tags on everything the provider creates.
provider "portico" {
  alias               = "prod"
  region              = "eu-west-1"
  profile             = "ci"
  allowed_account_ids = ["123456789012"]

  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/portico-deploy"
    session_name = "portico-ci"
    external_id  = "portico"
    duration     = "1h"
  }

  default_tags {
    tags = { team = "platform", service = "portico" }
  }
}

# A LocalStack-compatible emulator serving HTTPS with a local CA.
provider "portico" {
  alias     = "local"
  region    = "us-east-1"
  endpoint  = "https://localhost:4566"
  ca_bundle = "${path.module}/../localstack/certs/ca.pem"
}
