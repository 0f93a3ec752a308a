"""Provider secrets (the SMTP password) sealed at rest under a key derived from the server's.

The sender needs the password back, so it cannot be a one-way hash as client secrets are
(domain/clients/secrets.py). It is encrypted with AES-256-GCM (cryptography's `AESGCM`):
authenticated, so a tampered or swapped value fails to open instead of yielding garbage, and
bound by its associated data to what it seals (a sealed provider secret cannot be replayed as
something else). We chose AESGCM over Fernet for that associated data and a smaller value;
both are sound.

The key is derived with HKDF-SHA-256 from the server's HMAC key (`server_secrets`, made at first
start), under a label of its own, so one secret never serves two algorithms and no new key has to
be provisioned, backed up or rotated separately. What this protects against: the password
showing in API answers, logs, or a copy of the provider's row or of a dump without the
`server_secrets` table. It does not protect against someone holding the whole database, which
holds the key too; that is the same trust the signing keys already sit under.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_LABEL = b"selfauth email provider secrets v1"
_PREFIX = "v1."


class SealError(Exception):
    """A sealed value that does not open under this server's key."""


class Sealer:
    """`label` names what the derived key seals (a key per use: the SMTP password's, the
    upstream providers' tokens')."""

    def __init__(self, server_key: bytes, label: bytes = _LABEL) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
            server_key
        )
        self._aead = AESGCM(derived)

    def seal(self, plain: str, purpose: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plain.encode(), purpose.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, purpose: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise SealError("unknown sealed format")
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix(_PREFIX))
            return self._aead.decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise SealError("the sealed value does not open under this server's key") from exc
