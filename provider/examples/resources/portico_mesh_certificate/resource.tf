# The payment service's certificate, re-issued when the CA rotates (through
# ca_cert_pem) or 7 days before it expires. The service reads the secret with
# pkg/mesh/mtls/secretsmanager and picks up each new version without a restart.
resource "portico_mesh_certificate" "payment" {
  name        = "portico/mesh/payment"
  ca_secret   = portico_mesh_ca.mesh.name
  ca_cert_pem = portico_mesh_ca.mesh.cert_pem
  service     = "payment"
  dns_names   = ["payment.internal"]
}

# The same, written as versions of a secret the team created with its own
# KMS key and resource policy; destroying the certificate leaves the secret.
resource "aws_secretsmanager_secret" "orders" {
  name       = "portico/mesh/orders"
  kms_key_id = aws_kms_key.mesh.arn
}

resource "portico_mesh_certificate" "orders" {
  name          = aws_secretsmanager_secret.orders.name
  create_secret = false
  ca_secret     = portico_mesh_ca.mesh.name
  ca_cert_pem   = portico_mesh_ca.mesh.cert_pem
  service       = "orders"
}
