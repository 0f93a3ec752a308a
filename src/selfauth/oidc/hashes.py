"""`at_hash` and `c_hash` (OIDC Core 3.2.2.9, 3.3.2.11): the left half of the hash of the
ASCII value, base64url without padding, the hash being the one of the ID token's `alg`."""

from __future__ import annotations

import base64
import hashlib

# The hash each signing algorithm's digest size names (RS256 -> SHA-256, ...).
_HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def half_hash(value: str, alg: str) -> str:
    digest = _HASHES[alg[-3:]](value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")
