"""An RSA signing key and its public JWK."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class SigningKey:
    """One of the tenant's keys. At any time one key is `current` (it signs), one is `next`
    (published in JWKS before it signs, so verifiers have it when rotation makes it current),
    and the one rotated out last is `previous` (published, so its tokens verify, until it is
    revoked). Keys rotated out earlier, and revoked keys, are kept but never published."""

    kid: str
    alg: str
    private_pem: str = field(repr=False)
    public_jwk: dict[str, Any]
    current: bool
    created_at: datetime
    next: bool = False
    previous: bool = False
    current_since: datetime | None = None
    current_until: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def published(self) -> bool:
        return self.revoked_at is None and (self.current or self.next or self.previous)


class PublishedKeys(Protocol):
    """The keys whose public halves the JWKS publishes, the current one first."""

    async def published(self) -> list[SigningKey]: ...


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_rsa_key(created_at: datetime, bits: int = 2048, *, current: bool = True) -> SigningKey:
    """A new key: the current one (a first start), or else the next one."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    numbers = private.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": _b64(numbers.n), "e": _b64(numbers.e)}
    # RFC 7638 thumbprint as the key id: stable and derived from the key itself.
    canonical = f'{{"e":"{jwk["e"]}","kty":"RSA","n":"{jwk["n"]}"}}'.encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_jwk = {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}
    if current:
        return SigningKey(kid, "RS256", pem, public_jwk, True, created_at, current_since=created_at)
    return SigningKey(kid, "RS256", pem, public_jwk, False, created_at, next=True)
