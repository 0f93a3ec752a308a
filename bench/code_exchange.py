"""Authorization-code exchanges per second, beside the raw RS256 signing rate.

Run: `.venv/bin/python bench/code_exchange.py [--postgres URL] [--duration 5] [--codes 4000]`

selfauth is started as a user starts it. One browser session signs in through the login page;
single sign-on then mints `--codes` fresh codes (PKCE S256, one verifier), which wrk exchanges
at /oauth/token, each once. Every exchange looks up and redeems the code, loads the user and
signs an access token and an ID token, so the baseline is half the raw RS256 signing rate of
one process, measured in the same run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import secrets
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    LUA_DIR,
    BenchError,
    Tenant,
    client_on_database_connection,
    create_user,
    rs256_signing_rate,
    run_wrk,
    selfauth_tenant,
)

PASSWORD = "Str0ng!Passw0rd-x"
CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: codes are read from Location


def mint_codes(tenant: Tenant, count: int) -> tuple[str, list[str], str]:
    """A public client, a signed-in browser session, and `count` codes; returns the client
    id, the codes and the PKCE verifier."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    challenge_text = challenge.rstrip(b"=").decode()
    with tenant.management() as http:
        client = client_on_database_connection(
            http, name="bench code flow", app_type="spa", callbacks=[CALLBACK]
        )
        email = f"bench.{secrets.token_hex(4)}@example.com"
        create_user(http, email, PASSWORD)
    query = {
        "client_id": client["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid profile email",
        "code_challenge": challenge_text,
        "code_challenge_method": "S256",
    }
    base = tenant.server.base_url
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as browser:
        page = browser.get("/authorize", params=query).text
        fields = {
            name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("tx", "csrf")
        }
        login = browser.post("/u/login", data={**fields, "username": email, "password": PASSWORD})
        if login.status_code != 303:
            raise BenchError(f"login through the page failed: {login.status_code}")
        codes = []
        for _ in range(count):
            location = browser.get("/authorize", params=query).headers["location"]
            codes.append(parse_qs(urlsplit(location).query)["code"][0])
    return client["client_id"], codes, verifier


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--codes", type=int, default=4000)
    args = parser.parse_args()
    with selfauth_tenant(args.postgres) as tenant:
        client_id, codes, verifier = mint_codes(tenant, args.codes)
        with tempfile.NamedTemporaryFile("w", suffix=".codes", delete=False) as handle:
            handle.write("\n".join(codes) + "\n")
        prefix = urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": client_id,
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            }
        )
        exchanges = run_wrk(
            f"{tenant.server.base_url}/oauth/token",
            LUA_DIR / "code_exchange.lua",
            duration=args.duration,
            connections=args.connections,
            headers=["Content-Type: application/x-www-form-urlencoded"],
            script_args=[handle.name, prefix + "&code="],
        )
        tenant.server.check_alive()
        Path(handle.name).unlink()
    signing = rs256_signing_rate(args.duration)
    used = exchanges.requests
    ok = exchanges.requests - exchanges.non_2xx
    database_name = "PostgreSQL" if args.postgres else "SQLite"
    print(f"authorization-code exchanges, {database_name}, {args.connections} connections")
    print("| figure | value |\n|---|---|")
    print(f"| exchanges/s (2xx) | {ok / exchanges.seconds:,.0f} |")
    print(f"| p50 / p99 | {exchanges.p50_ms:.1f} / {exchanges.p99_ms:.1f} ms |")
    print(f"| requests / non-2xx | {used} / {exchanges.non_2xx} |")
    print(f"| raw RS256 signs/s, 1 process (2 per exchange) | {signing:,.0f} |")
    print(f"| ratio to half the signing rate | {ok / exchanges.seconds / (signing / 2):.2f} |")
    if used > len(codes):
        print(f"WARNING: {used} requests for {len(codes)} codes: reused codes were refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
