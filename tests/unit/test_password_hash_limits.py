"""Imported hashes are verified at every login of their users: a file cannot set parameters
that make each of those logins cost seconds or gigabytes."""

from __future__ import annotations

from typing import Any

import pytest

from selfauth.domain.password_hashes import HashProblem, check_bcrypt, from_custom, verify

SALT = "c2FsdHNhbHRzYWx0c2FsdA"  # base64 of "saltsaltsaltsalt", unpadded
DIGEST = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI"


def refused(spec: Any) -> str:
    with pytest.raises(HashProblem) as caught:
        from_custom(spec)
    return caught.value.code


def test_a_bcrypt_cost_past_15_is_refused() -> None:
    cheap = "$2b$10$" + "a" * 53
    assert check_bcrypt(cheap) == cheap
    with pytest.raises(HashProblem) as caught:
        check_bcrypt("$2b$31$" + "a" * 53)
    assert caught.value.code == "MAXIMUM"


def test_pbkdf2_iterations_are_capped() -> None:
    fine = f"$pbkdf2-sha256$i=100000,l=32${SALT}${DIGEST}"
    assert from_custom({"algorithm": "pbkdf2", "hash": {"value": fine}}) == fine
    huge = f"$pbkdf2-sha256$i=50000000,l=32${SALT}${DIGEST}"
    assert refused({"algorithm": "pbkdf2", "hash": {"value": huge}}) == "MAXIMUM"
    # Stored before the cap, it fails the login instead of running for a minute.
    assert verify("password", huge) is False


def test_scrypt_memory_is_capped() -> None:
    spec = {
        "algorithm": "scrypt",
        "hash": {"value": "00" * 32, "encoding": "hex"},
        "salt": {"value": "salt"},
        "keylen": 32,
        "cost": 2**20,
        "blockSize": 8,
    }
    assert refused(spec) == "MAXIMUM"


def test_argon2_memory_and_passes_are_capped() -> None:
    heavy = "$argon2id$v=19$m=4194304,t=3,p=4$" + SALT + "$" + DIGEST
    assert refused({"algorithm": "argon2", "hash": {"value": heavy}}) == "MAXIMUM"
    many = "$argon2id$v=19$m=65536,t=100,p=4$" + SALT + "$" + DIGEST
    assert refused({"algorithm": "argon2", "hash": {"value": many}}) == "MAXIMUM"
    usual = "$argon2id$v=19$m=65536,t=3,p=4$" + SALT + "$" + DIGEST
    assert from_custom({"algorithm": "argon2", "hash": {"value": usual}}) == usual
