terraform import portico_limits.this portico-state
