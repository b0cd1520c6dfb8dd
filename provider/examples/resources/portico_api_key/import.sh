# <table_name>/<sha256 of the key, hex>. Configure the imported key with
# key_hash for an empty plan; the key itself cannot be read back.
terraform import portico_api_key.acme portico-state/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
