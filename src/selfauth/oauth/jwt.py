"""Signing and checking JWTs with the tenant's keys.

Checks are strict: a key we publish (by `kid`), the algorithm pinned to that key (never `none`,
never HMAC with a public key), then `iss`, `aud` and `exp` with a small leeway.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from selfauth.domain.keys.model import SigningKey

_ALGORITHMS = ("RS256", "RS512", "PS256")


class TokenSigner:
    def __init__(self, key: SigningKey, *, threads: int = 0) -> None:
        """`threads`: sign on that many threads, or on the event loop with 0.

        OpenSSL releases the GIL while signing (~1 ms for RSA-2048), so a process with a core
        to spare signs on threads while its loop serves other requests. Where every core has
        a worker process (the default) there is no core to spare, and the hop to a thread and
        back cost 200-380 us of CPU per token here: those processes sign inline."""
        self.use(key)
        self._pool = (
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sign") if threads else None
        )

    def use(self, key: SigningKey) -> None:
        """Sign with `key` from now on (a rotation made it current). The key and its id are
        swapped as one value, so a token being signed on another thread gets both or neither."""
        private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
        assert isinstance(private, RSAPrivateKey)
        self._current = (private, key.kid)

    @property
    def kid(self) -> str:
        return self._current[1]

    async def sign_async(
        self,
        claims: dict[str, Any],
        *,
        alg: str = "RS256",
        secret: str | None = None,
        typ: str | None = None,
    ) -> str:
        if self._pool is None:
            return self.sign(claims, alg=alg, secret=secret, typ=typ)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, lambda: self.sign(claims, alg=alg, secret=secret, typ=typ)
        )

    def sign(
        self,
        claims: dict[str, Any],
        *,
        alg: str = "RS256",
        secret: str | None = None,
        typ: str | None = None,
    ) -> str:
        """With the tenant's key; HS256 with `secret` (an API's signing secret, so no `kid`)."""
        headers = {} if typ is None else {"typ": typ}
        if alg == "HS256":
            if not secret:
                raise ValueError("HS256 needs the API's signing secret")
            return jwt.encode(claims, secret, algorithm=alg, headers=headers)
        if alg not in _ALGORITHMS:
            raise ValueError(f"unsupported signing algorithm {alg}")
        private, kid = self._current
        return jwt.encode(claims, private, algorithm=alg, headers={"kid": kid, **headers})


class InvalidToken(Exception):
    """The bearer token failed a check; the message says which."""


KEYS_MAX_AGE = 60.0
"""Seconds a process trusts its copy of the published keys before reading them again."""


class TokenVerifier:
    """Verifies our own access tokens. Verified tokens are remembered until they expire, so a
    client that reuses its token pays for the RSA check once, not on every request."""

    def __init__(
        self,
        load_keys: Callable[[], Awaitable[Sequence[SigningKey]]],
        *,
        issuer: str,
        leeway: int,
        cache_size: int = 10_000,
    ) -> None:
        self._load_keys = load_keys
        self._issuer = issuer
        self._leeway = leeway
        self._keys: dict[str, tuple[jwt.PyJWK, str]] = {}
        self._keys_loaded_at = 0.0
        self._cache: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size

    async def refresh_keys(self) -> None:
        keys = await self._load_keys()
        fresh = {k.kid: (jwt.PyJWK(k.public_jwk), k.alg) for k in keys}
        if self._keys.keys() - fresh.keys():
            # A key was revoked: tokens it signed must fail even if verified before.
            self._cache.clear()
        self._keys = fresh
        self._keys_loaded_at = time.monotonic()

    async def verify(self, token: str, audience: str) -> dict[str, Any]:
        if time.monotonic() - self._keys_loaded_at > KEYS_MAX_AGE:
            # A key revoked through another process stops working here within KEYS_MAX_AGE,
            # tokens verified before included (refresh_keys empties the cache).
            await self.refresh_keys()
        cached = self._cache.get((token, audience))
        if cached is not None:
            if cached["exp"] + self._leeway >= time.time():
                self._cache.move_to_end((token, audience))
                return cached
            del self._cache[(token, audience)]
        claims = await self._verify(token, audience)
        self._cache[(token, audience)] = claims
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return claims

    async def _verify(self, token: str, audience: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("Invalid token") from exc
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("Invalid token: no key id")
        key, key_alg = await self._key(kid)
        alg = header.get("alg")
        if alg != key_alg:  # pinned to the key: `none` and HS256-with-a-public-key never pass
            raise InvalidToken(f"Invalid token: algorithm {alg!r} is not accepted")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key_alg],
                audience=audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("Expired token received for JSON Web Token validation") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("Bad audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken("Bad issuer") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("Invalid token") from exc
        return claims

    async def _key(self, kid: str) -> tuple[jwt.PyJWK, str]:
        key = self._keys.get(kid)
        # An unknown kid may be a key another process just made: reload, at most every 5 s.
        if key is None and time.monotonic() - self._keys_loaded_at > 5:
            await self.refresh_keys()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("Invalid token: unknown signing key")
        return key
