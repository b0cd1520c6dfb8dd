# The secret name.
terraform import portico_mesh_ca.mesh portico/mesh/ca
