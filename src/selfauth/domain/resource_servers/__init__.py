"""APIs that tokens are issued for (resource servers), the Management API among them."""
