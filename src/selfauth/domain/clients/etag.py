"""A client's ETag (domain/etags.py): every stored field but the secret's keyed hash (a new
secret also sets `updated_at`)."""

from __future__ import annotations

from dataclasses import fields

from selfauth.domain.clients.model import Client
from selfauth.domain.etags import etag_of

_FIELDS = tuple(field.name for field in fields(Client))


def client_etag(client: Client) -> str:
    return etag_of({name: getattr(client, name) for name in _FIELDS}, leave_out=("secret_hash",))
