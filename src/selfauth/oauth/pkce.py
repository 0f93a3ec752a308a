"""Proof Key for Code Exchange (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# RFC 7636 4.1/4.2: 43-128 characters of the unreserved set.
_SHAPE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def well_formed(value: str) -> bool:
    return bool(_SHAPE.match(value))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(verifier: str, challenge: str, method: str) -> bool:
    if not well_formed(verifier):
        return False
    expected = s256(verifier) if method == "S256" else verifier
    return hmac.compare_digest(expected.encode(), challenge.encode())
