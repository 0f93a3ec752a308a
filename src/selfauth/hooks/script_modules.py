"""The host side of the modules connection scripts may require (runtime.js builds `Buffer`,
`require('crypto')` and `require('bcrypt')` on it): byte encodings, hashes, HMACs, random
bytes, PBKDF2 and bcrypt, done by Python's own libraries in the sandbox worker, off the
server's event loop.

runtime.js reaches `operation` through one callable it takes and removes from the global
object before any tenant code runs. Arguments come as a JSON array of strings and numbers;
bytes travel as hex. The answer is a string: "1" and the result, or "0" and an error message
(an exception may not cross into the engine). Work is bounded: PBKDF2 iterations and bcrypt
rounds are capped, and the script's time limit stops the worker beyond that."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import bcrypt
import orjson

MAX_RANDOM_BYTES = 1 << 16
MAX_PBKDF2_ITERATIONS = 1_000_000
MAX_DERIVED_BYTES = 1024
BCRYPT_ROUNDS = range(4, 16)  # Node's bcrypt takes up to 31; beyond 15 no login finishes in time


class _Refused(Exception):
    pass


def _bytes_of(text: str, encoding: str) -> bytes:
    """Node's `Buffer.from(text, encoding)`."""
    name = encoding.lower().replace("-", "")
    if name == "utf8":
        return text.encode("utf-8", errors="replace")
    if name in ("ucs2", "utf16le"):
        return text.encode("utf-16-le", errors="surrogatepass")
    if name == "hex":
        even = len(text) - len(text) % 2
        try:
            return bytes.fromhex(text[:even])
        except ValueError:
            return b""
    if name in ("base64", "base64url"):
        cleaned = text.replace("-", "+").replace("_", "/").rstrip("=")
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except binascii.Error as exc:
            raise _Refused(f"Invalid base64 string: {exc}") from exc
    if name in ("latin1", "binary"):
        return bytes(ord(ch) & 0xFF for ch in text)
    if name == "ascii":
        return bytes(ord(ch) & 0x7F for ch in text)
    raise _Refused(f"Unknown encoding: {encoding}")


def _text_of(data: bytes, encoding: str) -> str:
    """Node's `buffer.toString(encoding)`."""
    name = encoding.lower().replace("-", "")
    if name == "utf8":
        return data.decode("utf-8", errors="replace")
    if name in ("ucs2", "utf16le"):
        return data[: len(data) - len(data) % 2].decode("utf-16-le", errors="replace")
    if name == "hex":
        return data.hex()
    if name == "base64":
        return base64.b64encode(data).decode()
    if name == "base64url":
        return base64.urlsafe_b64encode(data).decode().rstrip("=")
    if name in ("latin1", "binary"):
        return data.decode("latin-1")
    if name == "ascii":
        return bytes(b & 0x7F for b in data).decode("ascii")
    raise _Refused(f"Unknown encoding: {encoding}")


def _digest_name(algorithm: str) -> str:
    """Node's digest names as hashlib spells them (`sha3-256` is `sha3_256`, `RSA-SHA256` is
    `sha256`)."""
    name = algorithm.lower().removeprefix("rsa-")
    name = name.replace("sha3-", "sha3_")
    if name not in hashlib.algorithms_available:
        raise _Refused(f"Digest method not supported: {algorithm}")
    return name


def _hash(algorithm: str, data: str) -> str:
    return hashlib.new(_digest_name(algorithm), bytes.fromhex(data)).hexdigest()


def _hmac(algorithm: str, key: str, data: str) -> str:
    digest = _digest_name(algorithm)
    return hmac.new(bytes.fromhex(key), bytes.fromhex(data), digest).hexdigest()


def _random(size: float) -> str:
    count = int(size)
    if count != size or not 0 <= count <= MAX_RANDOM_BYTES:
        raise _Refused(f"The size must be an integer between 0 and {MAX_RANDOM_BYTES}")
    return secrets.token_bytes(count).hex()


def _equal(first: str, second: str) -> str:
    if len(first) != len(second):
        raise _Refused("Input buffers must have the same byte length")
    return "true" if hmac.compare_digest(bytes.fromhex(first), bytes.fromhex(second)) else ""


def _pbkdf2(password: str, salt: str, iterations: float, length: float, digest: str) -> str:
    rounds, size = int(iterations), int(length)
    if rounds != iterations or not 1 <= rounds <= MAX_PBKDF2_ITERATIONS:
        raise _Refused(f"iterations must be an integer from 1 to {MAX_PBKDF2_ITERATIONS}")
    if size != length or not 0 <= size <= MAX_DERIVED_BYTES:
        raise _Refused(f"keylen must be an integer from 0 to {MAX_DERIVED_BYTES}")
    derived = hashlib.pbkdf2_hmac(
        _digest_name(digest), bytes.fromhex(password), bytes.fromhex(salt), rounds, size
    )
    return derived.hex()


def _bcrypt_compare(plain: str, hashed: str) -> str:
    try:
        return "true" if bcrypt.checkpw(plain.encode(), hashed.encode()) else ""
    except ValueError:
        return ""  # not a bcrypt hash: no match, as Node's bcrypt answers


def _salt(rounds: float) -> bytes:
    count = int(rounds)
    if count != rounds or count not in BCRYPT_ROUNDS:
        raise _Refused(f"bcrypt rounds must be an integer from 4 to {BCRYPT_ROUNDS[-1]}")
    return bcrypt.gensalt(count, prefix=b"2b")


def _bcrypt_hash(plain: str, rounds_or_salt: float | str) -> str:
    salt = rounds_or_salt.encode() if isinstance(rounds_or_salt, str) else _salt(rounds_or_salt)
    try:
        return bcrypt.hashpw(plain.encode(), salt).decode()
    except ValueError as exc:
        raise _Refused(f"Invalid salt: {exc}") from exc


def _bcrypt_salt(rounds: float) -> str:
    return _salt(rounds).decode()


def _bcrypt_rounds(hashed: str) -> str:
    parts = hashed.split("$")
    if len(parts) < 4 or not parts[2].isdigit():
        raise _Refused("Invalid hash")
    return parts[2]


OPERATIONS: dict[str, Callable[..., str]] = {
    "bytes": lambda text, encoding: _bytes_of(text, encoding).hex(),
    "text": lambda data, encoding: _text_of(bytes.fromhex(data), encoding),
    "hash": _hash,
    "hmac": _hmac,
    "random": _random,
    "uuid": lambda: str(uuid.uuid4()),
    "equal": _equal,
    "pbkdf2": _pbkdf2,
    "bcrypt_compare": _bcrypt_compare,
    "bcrypt_hash": _bcrypt_hash,
    "bcrypt_salt": _bcrypt_salt,
    "bcrypt_rounds": _bcrypt_rounds,
}


def operation(name: Any, arguments: Any) -> str:
    """runtime.js's one way into the host: never raises."""
    try:
        found = OPERATIONS.get(str(name))
        if found is None:
            return f"0Unknown operation {name}"
        values = orjson.loads(str(arguments))
        if not isinstance(values, list):
            return "0Bad arguments"
        return "1" + found(*values)
    except _Refused as refused:
        return f"0{refused}"
    except (TypeError, ValueError, OverflowError) as exc:
        return f"0{type(exc).__name__}: {exc}"
    except Exception as exc:  # an exception must not cross into the engine
        return f"0{type(exc).__name__}"
