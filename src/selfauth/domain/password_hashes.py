"""Password hashes brought in by an import: bcrypt as it is, and Auth0's `custom_password_hash`.

An imported hash is stored in the user's password column in a form login can verify:
bcrypt, argon2 and PHC pbkdf2 strings as given, and the salted digests (md5, sha1, sha256,
sha512, hmac, scrypt) as `$custom$` followed by base64url JSON of their parameters. After a
successful login, anything but bcrypt is replaced by a bcrypt hash at the configured cost.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any

import argon2
import bcrypt
import orjson

CUSTOM_PREFIX = "$custom$"
BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
_PBKDF2 = re.compile(
    r"^\$pbkdf2-(sha1|sha256|sha512)\$([^$]*)\$([A-Za-z0-9+/.=-]+)\$([A-Za-z0-9+/.=-]+)$"
)
DIGESTS = ("md5", "sha1", "sha256", "sha512")
HMAC_DIGESTS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
ALGORITHMS = ("argon2", "bcrypt", "hmac", "md5", "sha1", "sha256", "sha512", "pbkdf2", "scrypt")
# Auth0 accepts these too; the runtime here has no md4 and no LDAP scheme parser.
UNSUPPORTED = ("ldap", "md4")
BYTE_ENCODINGS = ("hex", "base64", "utf8")
PASSWORD_ENCODINGS = {
    "utf8": "utf-8",
    "ascii": "ascii",
    "latin1": "latin-1",
    "binary": "latin-1",
    "utf16le": "utf-16-le",
    "ucs2": "utf-16-le",
}
_ARGON2 = argon2.PasswordHasher()


class HashProblem(Exception):
    """Why an imported hash cannot be used: Auth0's error code and the property at fault."""

    def __init__(self, code: str, message: str, path: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path


# Limits on what an imported hash may cost each login (see `_check_argon2_cost`).
MAX_HASH_MEMORY = 256 << 20
MAX_PBKDF2_ITERATIONS = 2_000_000
MAX_BCRYPT_COST = 15


def is_bcrypt(hashed: str) -> bool:
    return hashed.startswith(("$2a$", "$2b$", "$2y$"))


def check_bcrypt(value: Any, path: str = "password_hash") -> str:
    if not isinstance(value, str):
        raise HashProblem(
            "INVALID_TYPE", f"Expected type string but found type {_kind(value)}", path
        )
    if not BCRYPT.match(value):
        raise HashProblem("PATTERN", f"String does not match pattern: {BCRYPT.pattern}", path)
    if int(value[4:6]) > MAX_BCRYPT_COST:  # each step doubles the work of every login
        raise HashProblem("MAXIMUM", f"bcrypt cost must be at most {MAX_BCRYPT_COST}", path)
    return value


def from_custom(spec: Any) -> str:
    """The stored form of a `custom_password_hash` object, or a `HashProblem`."""
    path = "custom_password_hash"
    if not isinstance(spec, dict):
        raise HashProblem(
            "INVALID_TYPE", f"Expected type object but found type {_kind(spec)}", path
        )
    algorithm = spec.get("algorithm")
    if algorithm not in ALGORITHMS:
        note = " (not supported by selfauth)" if algorithm in UNSUPPORTED else ""
        raise HashProblem(
            "ENUM_MISMATCH", f"No enum match for: {algorithm}{note}", f"{path}.algorithm"
        )
    hash_spec = spec.get("hash")
    if not isinstance(hash_spec, dict) or not isinstance(hash_spec.get("value"), str):
        raise HashProblem("OBJECT_REQUIRED", "Missing required property: value", f"{path}.hash")
    value: str = hash_spec["value"]
    if algorithm == "bcrypt":
        return check_bcrypt(value, f"{path}.hash.value")
    if algorithm == "argon2":
        if not value.startswith("$argon2"):
            raise HashProblem("FORMAT", "Expected an argon2 PHC string", f"{path}.hash.value")
        _check_argon2_cost(value, f"{path}.hash.value")
        return value
    if algorithm == "pbkdf2":
        _parse_pbkdf2(value, f"{path}.hash.value")
        return value
    return _digest_form(spec, hash_spec, algorithm)


def _digest_form(spec: dict[str, Any], hash_spec: dict[str, Any], algorithm: str) -> str:
    path = "custom_password_hash"
    stored: dict[str, Any] = {
        "a": algorithm,
        "h": _b64(_bytes(hash_spec, f"{path}.hash", default="hex")),
        "pe": _password_encoding(spec.get("password"), f"{path}.password.encoding"),
    }
    salt = spec.get("salt")
    if salt is not None:
        if not isinstance(salt, dict):
            raise HashProblem("INVALID_TYPE", "Expected type object", f"{path}.salt")
        stored["s"] = _b64(_bytes(salt, f"{path}.salt", default="utf8"))
        position = salt.get("position", "prefix")
        if position not in ("prefix", "suffix"):
            raise HashProblem("ENUM_MISMATCH", f"No enum match for: {position}", f"{path}.salt")
        stored["sp"] = position
    if algorithm == "hmac":
        digest = hash_spec.get("digest")
        if digest not in HMAC_DIGESTS:
            raise HashProblem(
                "ENUM_MISMATCH", f"No enum match for: {digest}", f"{path}.hash.digest"
            )
        key = hash_spec.get("key")
        if not isinstance(key, dict):
            raise HashProblem("OBJECT_REQUIRED", "Missing required property: key", f"{path}.hash")
        stored["d"] = digest
        stored["k"] = _b64(_bytes(key, f"{path}.hash.key", default="utf8"))
    if algorithm == "scrypt":
        for name, default in (("keylen", 64), ("cost", 16384), ("blockSize", 8)):
            stored[name] = _positive(spec.get(name, default), f"{path}.{name}")
        stored["parallelization"] = _positive(spec.get("parallelization", 1), path)
        memory = 128 * stored["cost"] * stored["blockSize"] * stored["parallelization"]
        if memory > MAX_HASH_MEMORY or stored["keylen"] > 1024:
            raise HashProblem(
                "MAXIMUM",
                f"scrypt parameters need more than {MAX_HASH_MEMORY >> 20} MiB per login",
                path,
            )
    return CUSTOM_PREFIX + base64.urlsafe_b64encode(orjson.dumps(stored)).decode()


def verify(password: str, hashed: str) -> bool:
    """Check a password against any stored form. Blocking: call it off the event loop."""
    try:
        if is_bcrypt(hashed):
            return bcrypt.checkpw(password.encode(), hashed.encode())
        if hashed.startswith("$argon2"):
            return bool(_ARGON2.verify(hashed, password))
        if hashed.startswith("$pbkdf2-"):
            return _verify_pbkdf2(password, hashed)
        if hashed.startswith(CUSTOM_PREFIX):
            return _verify_digest(password, orjson.loads(base64.urlsafe_b64decode(hashed[8:])))
    except (
        ValueError,
        HashProblem,
        argon2.exceptions.VerificationError,
        argon2.exceptions.InvalidHashError,
    ):
        return False  # a mismatch, a password over bcrypt's 72 bytes, or a malformed hash
    return False


def _verify_pbkdf2(password: str, hashed: str) -> bool:
    digest, iterations, length, salt, expected = _parse_pbkdf2(hashed, "password")
    derived = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations, length)
    return hmac.compare_digest(derived, expected)


def _verify_digest(password: str, stored: dict[str, Any]) -> bool:
    secret = password.encode(stored["pe"])
    salt = base64.b64decode(stored["s"]) if "s" in stored else b""
    algorithm = stored["a"]
    if algorithm == "scrypt":
        derived = hashlib.scrypt(
            secret,
            salt=salt,
            n=stored["cost"],
            r=stored["blockSize"],
            p=stored["parallelization"],
            dklen=stored["keylen"],
            maxmem=2**31 - 1,
        )
    else:
        salted = salt + secret if stored.get("sp", "prefix") == "prefix" else secret + salt
        if algorithm == "hmac":
            derived = hmac.new(base64.b64decode(stored["k"]), salted, stored["d"]).digest()
        else:
            derived = hashlib.new(algorithm, salted).digest()
    return hmac.compare_digest(derived, base64.b64decode(stored["h"]))


def _parse_pbkdf2(value: str, path: str) -> tuple[str, int, int, bytes, bytes]:
    """`$pbkdf2-<digest>$i=100000,l=64$<salt>$<hash>` (PHC, unpadded base64)."""
    match = _PBKDF2.match(value)
    if match is None:
        raise HashProblem("FORMAT", "Expected a PHC string $pbkdf2-<digest>$i=,l=$salt$hash", path)
    digest, params, salt, expected = match.groups()
    options = dict(part.partition("=")[::2] for part in params.split(",") if part)
    try:
        iterations = int(options.get("i", 100_000))
        length = int(options.get("l", 64))
        found = digest, iterations, length, _phc_b64(salt), _phc_b64(expected)
    except (ValueError, binascii.Error) as exc:
        raise HashProblem("FORMAT", f"Malformed pbkdf2 hash: {exc}", path) from exc
    if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS or not 1 <= length <= 1024:
        raise HashProblem(
            "MAXIMUM", f"pbkdf2 iterations must be 1 to {MAX_PBKDF2_ITERATIONS:,}", path
        )
    return found


def _check_argon2_cost(value: str, path: str) -> None:
    """Each login verifies the hash: parameters past these would let one file make every login
    of its users cost seconds or gigabytes."""
    params = dict(
        part.partition("=")[::2] for piece in value.split("$") for part in piece.split(",")
    )
    try:
        memory_kib, passes = int(params.get("m", "0")), int(params.get("t", "0"))
        lanes = int(params.get("p", "1"))
    except ValueError as exc:
        raise HashProblem("FORMAT", "Malformed argon2 parameters", path) from exc
    if memory_kib * 1024 > MAX_HASH_MEMORY or passes > 16 or lanes > 16:
        raise HashProblem(
            "MAXIMUM",
            f"argon2 parameters past {MAX_HASH_MEMORY >> 20} MiB, 16 passes or 16 lanes",
            path,
        )


def _phc_b64(text: str) -> bytes:
    text = text.replace(".", "+")  # passlib's adapted base64 uses "." for "+"
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _bytes(spec: dict[str, Any], path: str, *, default: str) -> bytes:
    value = spec.get("value")
    if not isinstance(value, str):
        raise HashProblem("OBJECT_REQUIRED", "Missing required property: value", path)
    encoding = spec.get("encoding", default)
    if encoding not in BYTE_ENCODINGS:
        raise HashProblem("ENUM_MISMATCH", f"No enum match for: {encoding}", f"{path}.encoding")
    try:
        if encoding == "hex":
            return bytes.fromhex(value)
        if encoding == "base64":
            return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise HashProblem("FORMAT", f"Not valid {encoding}", f"{path}.value") from exc
    return value.encode()


def _password_encoding(spec: Any, path: str) -> str:
    name = spec.get("encoding", "utf8") if isinstance(spec, dict) else "utf8"
    if name not in PASSWORD_ENCODINGS:
        raise HashProblem("ENUM_MISMATCH", f"No enum match for: {name}", path)
    return PASSWORD_ENCODINGS[name]


def _positive(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise HashProblem("MINIMUM", "Expected a positive integer", path)
    return value


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
