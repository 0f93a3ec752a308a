"""Rules and Actions: tenant JavaScript run in a sandbox during logins and sign-ups."""
