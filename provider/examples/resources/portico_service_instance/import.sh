# <service_id>/<instance_id>
terraform import portico_service_instance.users_1 srv-abcdef1234567890/users-1
