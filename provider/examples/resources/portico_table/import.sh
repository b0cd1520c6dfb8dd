terraform import portico_table.rate_limits portico-rate-limits
