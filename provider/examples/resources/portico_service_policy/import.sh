# The Cloud Map service id.
terraform import portico_service_policy.payment srv-abcdef1234567890
