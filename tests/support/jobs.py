"""Import and export jobs over HTTP, as an application drives them."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from typing import Any

import bcrypt
import httpx

from tests.support.api import Api
from tests.support.polling import wait_for
from tests.support.signin import default_connection_id

FINISHED = ("completed", "failed")
PASSWORD = "Imp0rted!Secret"
BCRYPT_HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()


def start_import(
    api: Api, rows: Any, connection_id: str | None = None, **form: str
) -> httpx.Response:
    content = rows if isinstance(rows, bytes) else json.dumps(rows).encode()
    data = {"connection_id": connection_id or default_connection_id(api), **form}
    return api.http.post(
        "/api/v2/jobs/users-imports", files={"users": ("users.json", content)}, data=data
    )


def wait(api: Api, job_id: str, timeout: float = 300) -> dict[str, Any]:
    """Poll until the job ends (bounded, so a stuck job fails the test instead of hanging)."""

    def finished() -> dict[str, Any] | None:
        response = api.get(f"/api/v2/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        return job if job["status"] in FINISHED else None

    return wait_for(finished, f"job {job_id} to finish", timeout)


def run_import(api: Api, rows: Any, **form: str) -> dict[str, Any]:
    response = start_import(api, rows, **form)
    assert response.status_code == 202, response.text
    return wait(api, response.json()["id"])


def errors(api: Api, job_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v2/jobs/{job_id}/errors")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def run_export(api: Api, **body: Any) -> tuple[dict[str, Any], bytes]:
    response = api.post("/api/v2/jobs/users-exports", body)
    assert response.status_code == 200, response.text
    job = wait(api, response.json()["id"])
    assert job["status"] == "completed", job
    download = httpx.get(job["location"], timeout=30)
    assert download.status_code == 200, download.text
    return job, gzip.decompress(download.content)


def custom_hashes() -> dict[str, dict[str, Any]]:
    """One `custom_password_hash` per algorithm, each of PASSWORD, as another system made them."""
    from argon2 import PasswordHasher

    secret = PASSWORD.encode()
    salt = b"NaCl-salt"
    derived = hashlib.pbkdf2_hmac("sha256", secret, salt, 1000, 32)
    b64 = base64.b64encode

    def phc(raw: bytes) -> str:
        return b64(raw).decode().rstrip("=")

    def salted(algorithm: str, position: str) -> dict[str, Any]:
        data = salt + secret if position == "prefix" else secret + salt
        return {
            "algorithm": algorithm,
            "hash": {"value": hashlib.new(algorithm, data).hexdigest(), "encoding": "hex"},
            "salt": {"value": salt.decode(), "encoding": "utf8", "position": position},
        }

    key = b"hmac-key"
    import hmac

    return {
        "argon2": {
            "algorithm": "argon2",
            "hash": {"value": PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)},
        },
        "bcrypt": {"algorithm": "bcrypt", "hash": {"value": BCRYPT_HASH}},
        "pbkdf2": {
            "algorithm": "pbkdf2",
            "hash": {"value": f"$pbkdf2-sha256$i=1000,l=32${phc(salt)}${phc(derived)}"},
        },
        "md5": salted("md5", "suffix"),
        "sha1": salted("sha1", "prefix"),
        "sha256": salted("sha256", "prefix"),
        "sha512": {
            "algorithm": "sha512",
            "hash": {"value": b64(hashlib.sha512(secret).digest()).decode(), "encoding": "base64"},
        },
        "hmac": {
            "algorithm": "hmac",
            "hash": {
                "value": b64(hmac.new(key, secret, "sha256").digest()).decode(),
                "encoding": "base64",
                "digest": "sha256",
                "key": {"value": key.decode(), "encoding": "utf8"},
            },
        },
        "scrypt": {
            "algorithm": "scrypt",
            "hash": {
                "value": hashlib.scrypt(secret, salt=salt, n=1024, r=8, p=1, dklen=32).hex(),
                "encoding": "hex",
            },
            "salt": {"value": salt.decode()},
            "keylen": 32,
            "cost": 1024,
        },
    }
