# The table name, for the default key config#routes; or <table_name>/<key>.
terraform import portico_route_table.routes portico-state
