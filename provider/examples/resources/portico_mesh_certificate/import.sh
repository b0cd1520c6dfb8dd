# The secret name.
terraform import portico_mesh_certificate.payment portico/mesh/payment
