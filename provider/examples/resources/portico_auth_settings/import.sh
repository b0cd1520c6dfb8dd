terraform import portico_auth_settings.this portico-state
