"""A client's `signing_keys`: the tenant's signing certificate, as Auth0 answers it
(`[{cert, pkcs7, subject}]`).

selfauth keeps its signing keys as bare RSA keys, so the certificate is made from the current
key: self-signed, subject `CN=<issuer host>`, serial number and validity fixed by the key.
RSA PKCS#1 v1.5 signatures are deterministic, so every answer carries the same certificate
for the same key. It is built once per key.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from selfauth.domain.keys.model import SigningKey

VALIDITY = timedelta(days=3650)


def signing_keys(keys: list[SigningKey], host: str) -> list[dict[str, Any]]:
    """The current key's certificate (the published keys come current first)."""
    if not keys:
        return []
    key = keys[0]
    return [dict(_certificate(key.kid, key.private_pem, key.created_at, host))]


@functools.lru_cache(maxsize=8)
def _certificate(
    kid: str, private_pem: str, created_at: datetime, host: str
) -> tuple[tuple[str, str], ...]:
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(private, RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    serial = int.from_bytes(hashlib.sha256(kid.encode()).digest()[:16], "big") >> 1
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(serial or 1)
        .not_valid_before(start)
        .not_valid_after(start + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert = certificate.public_bytes(serialization.Encoding.PEM).decode()
    bundle = pkcs7.serialize_certificates([certificate], serialization.Encoding.PEM).decode()
    return (
        ("cert", _crlf(cert)),
        ("pkcs7", _crlf(bundle)),
        ("subject", f"/CN={host}"),
    )


def _crlf(pem: str) -> str:
    """Auth0 answers PEM with CRLF line ends."""
    return pem.replace("\r\n", "\n").replace("\n", "\r\n")
