"""Rules, rules configuration and Actions: the tenant's login-time code, as data."""
