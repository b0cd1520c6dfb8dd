# The REST API id.
terraform import portico_api.gateway a1b2c3d4e5
