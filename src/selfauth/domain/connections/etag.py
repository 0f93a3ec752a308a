"""A connection's ETag (domain/etags.py): every stored field, its enabled clients included
(a custom database's `configuration` is stored sealed, so only its ciphertext is digested)."""

from __future__ import annotations

from dataclasses import fields

from selfauth.domain.connections.model import Connection
from selfauth.domain.etags import etag_of

_FIELDS = tuple(field.name for field in fields(Connection))


def connection_etag(connection: Connection) -> str:
    return etag_of({name: getattr(connection, name) for name in _FIELDS})
