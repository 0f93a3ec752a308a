"""A signing key as `/api/v2/keys/signing` answers it (Auth0's SigningKey object)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from selfauth.domain.keys.certificate import certificate
from selfauth.domain.keys.model import SigningKey


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def key_view(key: SigningKey, host: str) -> dict[str, Any]:
    made = certificate(key, host)
    view: dict[str, Any] = {
        "kid": key.kid,
        "cert": made.cert,
        "pkcs7": made.pkcs7,
        "current": key.current,
        "next": key.next,
        "previous": key.previous,
        "fingerprint": ":".join(made.sha1[i : i + 2] for i in range(0, len(made.sha1), 2)),
        "thumbprint": made.sha1,
        "revoked": key.revoked_at is not None,
    }
    if key.current_since is not None:
        view["current_since"] = _iso(key.current_since)
    if key.current_until is not None:
        view["current_until"] = _iso(key.current_until)
    if key.revoked_at is not None:
        view["revoked_at"] = _iso(key.revoked_at)
    return view
