# A development mesh CA. Its key stays in the secret; change `rotate` to
# rotate it (the previous CA stays in ca_bundle_pem until the next rotation).
# Destroyed or replaced, the secret can be restored for 30 days.
resource "portico_mesh_ca" "mesh" {
  name                    = "portico/mesh/ca"
  validity_hours          = 8760
  rotate                  = "2026-11"
  recovery_window_in_days = 30
}
