"""Directory data: staff users and their roles, tenants (商户) and shops (铺位)."""
