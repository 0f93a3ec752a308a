"""Client secrets at rest: HMAC-SHA-256 under a server key, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac


class SecretHasher:
    """Secrets are long random strings, so a keyed fast hash is enough and keeps
    `/oauth/token` fast; a slow KDF here would cost ~100 ms per token request."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, secret: str) -> str:
        return hmac.new(self._key, secret.encode(), hashlib.sha256).hexdigest()

    def matches(self, secret: str, stored_digest: str) -> bool:
        return hmac.compare_digest(self.digest(secret), stored_digest)
