"""A signing key's X.509 certificate, as Auth0 answers one (PEM with CRLF line ends, and a
PKCS#7 bundle of it).

selfauth keeps its signing keys as bare RSA keys, so the certificate is made from the key:
self-signed, subject `CN=<issuer host>`, serial number and validity fixed by the key. RSA
PKCS#1 v1.5 signatures are deterministic, so every answer carries the same certificate for the
same key. It is built once per key."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from selfauth.domain.keys.model import SigningKey

VALIDITY = timedelta(days=3650)


@dataclass(frozen=True)
class Certificate:
    cert: str  # PEM, CRLF line ends
    pkcs7: str  # PEM, CRLF line ends
    subject: str  # "/CN=<host>"
    sha1: str  # of the DER: Auth0's thumbprint (hex) and fingerprint (hex pairs with colons)


def certificate(key: SigningKey, host: str) -> Certificate:
    return _certificate(key.kid, key.private_pem, key.created_at, host)


@functools.lru_cache(maxsize=16)
def _certificate(kid: str, private_pem: str, created_at: datetime, host: str) -> Certificate:
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(private, RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    serial = int.from_bytes(hashlib.sha256(kid.encode()).digest()[:16], "big") >> 1
    built = (
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
    cert = built.public_bytes(serialization.Encoding.PEM).decode()
    bundle = pkcs7.serialize_certificates([built], serialization.Encoding.PEM).decode()
    sha1 = hashlib.sha1(built.public_bytes(serialization.Encoding.DER)).hexdigest().upper()  # noqa: S324 -- Auth0's fingerprint is SHA-1 by definition
    return Certificate(_crlf(cert), _crlf(bundle), f"/CN={host}", sha1)


def _crlf(pem: str) -> str:
    """Auth0 answers PEM with CRLF line ends."""
    return pem.replace("\r\n", "\n").replace("\n", "\r\n")
