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
    kid: str
    alg: str
    private_pem: str = field(repr=False)
    public_jwk: dict[str, Any]
    current: bool
    created_at: datetime


class PublishedKeys(Protocol):
    """The keys whose public halves the JWKS publishes, the current one first."""

    async def published(self) -> list[SigningKey]: ...


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_rsa_key(created_at: datetime, bits: int = 2048) -> SigningKey:
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
    return SigningKey(kid, "RS256", pem, public_jwk, True, created_at)
