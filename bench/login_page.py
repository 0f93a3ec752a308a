"""Login pages per second: the sign-in screen plain, then with the tenant's branding, custom
text and Universal Login page template, beside the JWKS document as the baseline, all on one
server in one run.

Run: `.venv/bin/python bench/login_page.py [--postgres URL] [--duration 10] [--connections 16]`

selfauth is started as a user starts it (`_harness.selfauth_tenant`). wrk GETs `/authorize` for
a regular web application with a fixed request (the sign-in screen, 200: the page, its sealed
transaction and CSRF cookie, the CSP nonce). `/.well-known/jwks.json` (a small cached JSON
document) is measured in the same run as what the server's own request handling costs; the
ratio page/JWKS says what rendering a page adds. The second page figure is taken after
`PATCH /api/v2/branding`, `PUT .../custom-text/en` and a page template are set: the pages read
them through caches kept 5 s, so the figure shows rendering with them, not the database.
The three are measured in turn, `--rounds` times, and the mean of each is reported.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import LUA_DIR, BenchError, WrkResult, busy_fraction, run_wrk, selfauth_tenant

CALLBACK = "https://app.example.com/callback"
TEMPLATE = (
    "<!DOCTYPE html><html lang='{{ locale }}'><head>{%- auth0:head -%}</head><body>"
    "<header>{{ application.name }}</header>{%- auth0:widget -%}<footer>Example</footer>"
    "</body></html>"
)


def _get(url: str, duration: int, connections: int) -> WrkResult:
    return run_wrk(
        url, LUA_DIR / "static.lua", duration=duration, connections=connections, script_args=["GET"]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--plain-only",
        action="store_true",
        help="no branding figure (for a version without the branding APIs, run from a worktree "
        "with PYTHONPATH=<worktree>/src)",
    )
    args = parser.parse_args()
    busy = busy_fraction()
    with selfauth_tenant(args.postgres) as tenant, tenant.management() as api:
        client = api.post(
            "/api/v2/clients",
            json={
                "name": "Bench App",
                "app_type": "regular_web",
                "callbacks": [CALLBACK],
            },
        ).json()
        query = urlencode(
            {
                "client_id": client["client_id"],
                "redirect_uri": CALLBACK,
                "response_type": "code",
                "scope": "openid profile email",
                "state": secrets.token_urlsafe(12),
            }
        )
        page_url = f"{tenant.server.base_url}/authorize?{query}"
        jwks_url = f"{tenant.server.base_url}/.well-known/jwks.json"
        probe = api.get(page_url)
        if probe.status_code != 200:
            raise BenchError(f"the login page answered {probe.status_code}: {probe.text[:300]}")
        figures: dict[str, list[WrkResult]] = {"jwks": [], "plain": [], "branded": []}

        def brand(on: bool) -> None:
            if on:
                api.patch(
                    "/api/v2/branding",
                    json={
                        "colors": {"primary": "#0059D6", "page_background": "#F2F4F7"},
                        "logo_url": "https://cdn.example.com/logo.png",
                    },
                ).raise_for_status()
                api.put(
                    "/api/v2/prompts/login/custom-text/en",
                    json={"login": {"title": "Welcome to Example", "buttonText": "Go"}},
                ).raise_for_status()
                api.put(
                    "/api/v2/branding/templates/universal-login", json={"template": TEMPLATE}
                ).raise_for_status()
            else:
                api.delete("/api/v2/branding/templates/universal-login")
                api.patch(
                    "/api/v2/branding", json={"colors": None, "logo_url": None}
                ).raise_for_status()
                api.put("/api/v2/prompts/login/custom-text/en", json={}).raise_for_status()

        for _ in range(args.rounds):
            figures["jwks"].append(_get(jwks_url, args.duration, args.connections))
            if args.plain_only:
                _get(page_url, 2, args.connections)
                figures["plain"].append(_get(page_url, args.duration, args.connections))
                continue
            brand(False)
            _get(page_url, 2, args.connections)  # warm-up, and the caches refilled
            figures["plain"].append(_get(page_url, args.duration, args.connections))
            brand(True)
            branded = api.get(page_url).text
            if "Welcome to Example" not in branded or "<footer>Example</footer>" not in branded:
                raise BenchError("the branded page does not show the custom text and template")
            _get(page_url, 2, args.connections)
            figures["branded"].append(_get(page_url, args.duration, args.connections))
    for runs in figures.values():
        for run in runs:
            if run.non_2xx or run.errors:
                raise BenchError(f"errors in a run: {run.non_2xx} non-2xx, {run.socket_errors}")
    mean = {name: statistics.mean(r.rps for r in runs) for name, runs in figures.items() if runs}
    print(
        f"login page, {'PostgreSQL' if args.postgres else 'SQLite'}, {args.connections} "
        f"connections, {args.duration}s x {args.rounds} rounds, CPU busy before the run "
        f"{'?' if busy is None else f'{busy:.0%}'}"
    )
    print("| GET | requests/s (mean) | p50 / p99 ms (last round) | / JWKS |")
    print("|---|---|---|---|")
    for name, label in (
        ("jwks", "/.well-known/jwks.json (baseline)"),
        ("plain", "/authorize sign-in screen, default look"),
        ("branded", "/authorize sign-in screen, branding + custom text + page template"),
    ):
        if name not in mean:
            continue
        last = figures[name][-1]
        print(
            f"| {label} | {mean[name]:.0f} | {last.p50_ms:.1f} / {last.p99_ms:.1f} | "
            f"{mean[name] / mean['jwks']:.2f} |"
        )
    if "branded" in mean:
        print(f"| branded / plain | {mean['branded'] / mean['plain']:.2f} | | |")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
