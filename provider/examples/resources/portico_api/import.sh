# A REST API portico_api created: its id.
terraform import portico_api.gateway a1b2c3d4e5

# Portico wired into an existing REST API (rest_api_id): existing/<id>.
terraform import portico_api.attached existing/a1b2c3d4e5
