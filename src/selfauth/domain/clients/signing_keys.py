"""A client's `signing_keys`: the tenant's signing certificate, as Auth0 answers it
(`[{cert, pkcs7, subject}]`), made from the current key (domain/keys/certificate.py)."""

from __future__ import annotations

from typing import Any

from selfauth.domain.keys.certificate import certificate
from selfauth.domain.keys.model import SigningKey


def signing_keys(keys: list[SigningKey], host: str) -> list[dict[str, Any]]:
    """The current key's certificate (the published keys come current first)."""
    if not keys:
        return []
    made = certificate(keys[0], host)
    return [{"cert": made.cert, "pkcs7": made.pkcs7, "subject": made.subject}]
