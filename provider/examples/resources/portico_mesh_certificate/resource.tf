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
