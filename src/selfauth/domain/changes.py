"""What one server process tells the others: that something they keep in memory changed.

Each topic names state that processes cache (the signing keys they sign and verify with; the
clients, their grants and the APIs, which token requests read and the CORS layer answers
from; the tenant's settings the pages read; the metadata schemas every metadata write is
checked against). A
change bumps its topic's version in the same transaction as the change itself; every process
reads the versions every `SELFAUTH_CHANGES_POLL_SECONDS` and reloads what moved. So a worker,
or another node on the same database, acts on a change within that bound (plus one read),
and a crash between a change and its announcement cannot happen.
"""

from __future__ import annotations

SIGNING_KEYS = "signing_keys"
CLIENTS = "clients"
TENANT_SETTINGS = "tenant_settings"
METADATA_SCHEMAS = "metadata_schemas"
