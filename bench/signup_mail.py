"""Sign-ups per second with the verification mail on, beside the same sign-ups with it off.

Run: `.venv/bin/python bench/signup_mail.py [--postgres URL] [--duration 10] [--connections 16]`

selfauth is started as a user starts it, without an email provider (the `make run` default:
mails are kept in the outbox, `held`), and bcrypt cost 4 so that hashing does not hide what the
mail costs. wrk posts `/dbconnections/signup` with a new email each time. With the mail on,
each sign-up also renders the built-in `verify_email` (Liquid, HTML and text), makes its link's
ticket and queues both with the user in one transaction; the sender then marks it held. The
baseline turns the template off (`PATCH /api/v2/email-templates/verify_email
{"enabled": false}`) on the same server; the two runs alternate, twice.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    DATABASE_CONNECTION,
    LUA_DIR,
    BenchError,
    Tenant,
    WrkResult,
    client_on_database_connection,
    run_wrk,
    selfauth_tenant,
)

PASSWORD = "Str0ng!Passw0rd-x"


def prepare(tenant: Tenant) -> str:
    """A public client on the database connection."""
    with tenant.management() as http:
        client = client_on_database_connection(
            http, name="bench signups", app_type="spa", token_endpoint_auth_method="none"
        )
    return client["client_id"]


def body_parts(client_id: str) -> list[str]:
    """The sign-up body split around the email's local part, with a marker of its own (each
    run signs up new addresses)."""
    marker = f"bench-{secrets.token_hex(4)}"
    body = {
        "client_id": client_id,
        "connection": DATABASE_CONNECTION,
        "email": f"{marker}@example.com",
        "password": PASSWORD,
    }
    before, _, after = json.dumps(body).partition(f"{marker}@")
    return [before + marker + ".", "@" + after]


def set_mail(tenant: Tenant, enabled: bool) -> None:
    with tenant.management() as http:
        body = {"template": "verify_email", "enabled": enabled}
        answer = http.patch("/api/v2/email-templates/verify_email", json={"enabled": enabled})
        if answer.status_code == 404:
            answer = http.post("/api/v2/email-templates", json=body)
        if answer.status_code not in (200, 201):
            raise BenchError(f"could not set verify_email: {answer.status_code} {answer.text}")


def run(tenant: Tenant, client_id: str, args: argparse.Namespace) -> WrkResult:
    parts = body_parts(client_id)
    result = run_wrk(
        f"{tenant.server.base_url}/dbconnections/signup",
        LUA_DIR / "signups.lua",
        duration=args.duration,
        connections=args.connections,
        headers=["Content-Type: application/json"],
        script_args=parts,
        request_timeout=10,
    )
    tenant.server.check_alive()
    if result.non_2xx:
        raise BenchError(f"{result.non_2xx} sign-ups failed")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with selfauth_tenant(args.postgres, SELFAUTH_BCRYPT_COST="4") as tenant:
        client_id = prepare(tenant)
        pairs: list[tuple[float, float]] = []
        for _ in range(2):
            set_mail(tenant, True)
            with_mail = run(tenant, client_id, args).rps
            set_mail(tenant, False)
            without = run(tenant, client_id, args).rps
            pairs.append((with_mail, without))
    database_name = "PostgreSQL" if args.postgres else "SQLite"
    print(f"sign-ups, {database_name}, {args.connections} connections, {args.duration}s each")
    print("| run | with the verification mail (= mails/s) | mail off | ratio |")
    print("|---|---|---|---|")
    for n, (with_mail, without) in enumerate(pairs, 1):
        print(f"| {n} | {with_mail:,.0f}/s | {without:,.0f}/s | {with_mail / without:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
