"""Password hashing with bcrypt, always off the event loop (it holds a core for ~60 ms)."""

from __future__ import annotations

import asyncio

import bcrypt

from selfauth.domain import password_hashes


class PasswordHasher:
    def __init__(self, cost: int = 10) -> None:
        self.cost = cost
        # Verifying against this when the user does not exist costs what a real check costs
        # (same bcrypt cost), so timing does not reveal which accounts exist.
        self._dummy_hash = bcrypt.hashpw(b"selfauth-timing-equalizer", bcrypt.gensalt(cost))

    def hash_sync(self, password: str) -> str:
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(self.cost)).decode()

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hash_sync, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Constant-work check; `hashed=None` still burns a bcrypt verification."""
        if hashed is not None and not password_hashes.is_bcrypt(hashed):
            # An imported hash (argon2, pbkdf2, salted digests): see domain/password_hashes.py.
            return await asyncio.to_thread(password_hashes.verify, password, hashed)
        target = hashed.encode() if hashed else self._dummy_hash
        ok = await asyncio.to_thread(_checkpw, password.encode(), target)
        return ok and hashed is not None

    def outdated(self, hashed: str | None) -> bool:
        """An imported non-bcrypt hash, to be replaced by bcrypt after a successful login."""
        return hashed is not None and not password_hashes.is_bcrypt(hashed)


def _checkpw(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:  # over 72 bytes, or a malformed stored hash
        return False
