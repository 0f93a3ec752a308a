"""The network as a connection script sees it: requests to the hosts its connection names.

runtime.js queues each `request`/`axios` call as JSON (`spec` below); the sandbox worker hands
it here, and the answer goes back to the script. Only connection scripts (an `oauth2`
connection's `fetchUserProfile`, custom database scripts) get a `Network`: Rules and Actions
have none, so nothing else in the sandbox reaches the network.

Every hop is checked: the URL's `host:port` must be one the connection allows (its own URLs'
hosts and `options.allowed_hosts`), and a redirect is followed only to an allowed host. Each
request is bounded by the script's own `timeout`, the server's limit and the time the script
has left; a body larger than the limit is refused rather than cut. Errors reach the script as
Node's would (`code` ETIMEDOUT, ECONNREFUSED, ...) plus `ENOTALLOWED` for a host not allowed."""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from selfauth.domain.connections.allowed_hosts import url_host
from selfauth.hooks.messages import Network

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Refused(Exception):
    """The request cannot be made: `code` and message go to the script as a Node error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Prepared:
    method: str
    url: httpx.URL
    headers: dict[str, str]
    content: bytes | None
    timeout_seconds: float | None
    follow_redirects: bool


def host_port(url: httpx.URL) -> str:
    """`host:port` as `allowed_hosts` spells it (domain/connections/allowed_hosts.py)."""
    return url_host(str(url)) or url.host


def _text_map(value: Any) -> dict[str, str]:
    """A JSON object's scalar members as strings (a header or query value that is an object
    or null is left out, as Node's clients drop it)."""
    if not isinstance(value, Mapping):
        return {}
    found: dict[str, str] = {}
    for name, item in value.items():
        if isinstance(item, bool):
            found[str(name)] = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            found[str(name)] = str(item)
    return found


def _url(spec: Mapping[str, Any]) -> httpx.URL:
    raw = spec.get("url")
    if not isinstance(raw, str) or not raw:
        raise Refused("EINVAL", "The request names no url")
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError) as exc:
        raise Refused("EINVAL", f"Invalid URI {raw!r}") from exc
    if url_host(str(url)) is None:
        raise Refused("EINVAL", f"Invalid URI {raw!r}: only http and https URLs are allowed")
    query = _text_map(spec.get("qs"))
    return url.copy_merge_params(query) if query else url


def _body(spec: Mapping[str, Any], headers: dict[str, str]) -> bytes | None:
    """The body by the `request` package's options: `form` (urlencoded), `json` an object (the
    body), else `body` (text as it is; an object, as with `json: true`, as JSON)."""
    names = {name.lower() for name in headers}

    def content_type(value: str) -> None:
        if "content-type" not in names:
            headers["content-type"] = value

    json_option, body, form = spec.get("json"), spec.get("body"), spec.get("form")
    if json_option is not None and json_option is not False and "accept" not in names:
        headers["accept"] = "application/json"
    if isinstance(form, (Mapping, str)):
        content_type("application/x-www-form-urlencoded")
        return (form if isinstance(form, str) else str(httpx.QueryParams(_text_map(form)))).encode()
    if isinstance(json_option, (Mapping, list)):
        content_type("application/json")
        return orjson.dumps(json_option)
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode()
    content_type("application/json")
    return orjson.dumps(body)


def prepare(spec: Mapping[str, Any]) -> Prepared:
    method = str(spec.get("method") or "GET").upper()
    if method not in METHODS:
        raise Refused("EINVAL", f"Unsupported method {method}")
    url = _url(spec)
    headers = _text_map(spec.get("headers"))
    auth = spec.get("auth")
    if isinstance(auth, Mapping):
        bearer = auth.get("bearer")
        user = auth.get("user", auth.get("username"))
        password = auth.get("pass", auth.get("password"))
        if isinstance(bearer, str):
            headers["authorization"] = f"Bearer {bearer}"
        elif isinstance(user, str):
            pair = f"{user}:{password if isinstance(password, str) else ''}".encode()
            headers["authorization"] = "Basic " + base64.b64encode(pair).decode()
    content = _body(spec, headers)
    timeout = spec.get("timeout")
    seconds = (
        float(timeout) / 1000
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0
        else None
    )
    follow = spec.get("followRedirect") is not False and method in ("GET", "HEAD")
    return Prepared(method, url, headers, content, seconds, follow)


_client: httpx.Client | None = None


def _http() -> httpx.Client:
    """The worker's one client: a new one per run would build a TLS context each time (about
    22 ms of CPU). No proxies or .netrc from the environment."""
    global _client
    if _client is None:
        _client = httpx.Client(follow_redirects=False, trust_env=False)
    return _client


class HttpFacility:
    """One run's network: `perform` answers a queued request."""

    def __init__(self, network: Network) -> None:
        self.allowed = frozenset(network["allowed"])
        self.timeout_seconds = float(network["timeout_seconds"])
        self.max_bytes = int(network["max_bytes"])

    def _check(self, url: httpx.URL) -> None:
        where = host_port(url)
        if where not in self.allowed:
            allowed = ", ".join(sorted(self.allowed)) or "none"
            raise Refused(
                "ENOTALLOWED",
                f"This connection's scripts may reach only the hosts it names ({allowed}); "
                f"{where} is not one of them (add it to the connection's options.allowed_hosts)",
            )

    def perform(self, spec: Mapping[str, Any], deadline: float) -> dict[str, Any]:
        """`{status, reason, headers, body}`, or `{error: {code, message}}`; `deadline` is the
        monotonic time the script must be done by."""
        try:
            return self._perform(prepare(spec), deadline)
        except Refused as refused:
            return {"error": {"code": refused.code, "message": str(refused)}}

    def _perform(self, request: Prepared, deadline: float) -> dict[str, Any]:
        url, method, content = request.url, request.method, request.content
        for _ in range(MAX_REDIRECTS + 1):
            self._check(url)
            left = deadline - time.monotonic()
            if left <= 0:
                raise Refused("ETIMEDOUT", "The script ran out of time before the request")
            limits = [left, self.timeout_seconds]
            if request.timeout_seconds is not None:
                limits.append(request.timeout_seconds)
            status, reason, headers, body = self._exchange(
                method, url, request.headers, content, min(limits)
            )
            location = headers.get("location")
            if not (request.follow_redirects and status in _REDIRECTS and location):
                return {"status": status, "reason": reason, "headers": headers, "body": body}
            try:
                url = url.join(location)
            except (httpx.InvalidURL, ValueError) as exc:
                raise Refused("EINVAL", f"The redirect to {location!r} is not a URL") from exc
        raise Refused("EMAXREDIRECTS", f"More than {MAX_REDIRECTS} redirects")

    def _exchange(
        self,
        method: str,
        url: httpx.URL,
        headers: dict[str, str],
        content: bytes | None,
        seconds: float,
    ) -> tuple[int, str, dict[str, str], str]:
        try:
            with _http().stream(
                method, url, headers=headers, content=content, timeout=seconds
            ) as response:
                received = bytearray()
                for chunk in response.iter_bytes():
                    received += chunk
                    if len(received) > self.max_bytes:
                        raise Refused(
                            "ERESPONSETOOLARGE",
                            f"The response from {host_port(url)} is larger than "
                            f"{self.max_bytes} bytes",
                        )
                names: dict[str, str] = {}
                for name, value in response.headers.multi_items():
                    key = name.lower()
                    names[key] = f"{names[key]}, {value}" if key in names else value
                text = received.decode(response.encoding or "utf-8", errors="replace")
                return response.status_code, response.reason_phrase, names, text
        except httpx.TimeoutException as exc:
            raise Refused("ETIMEDOUT", f"The request to {host_port(url)} timed out") from exc
        except httpx.ConnectError as exc:
            raise Refused("ECONNREFUSED", f"{host_port(url)} could not be reached: {exc}") from exc
        except httpx.HTTPError as exc:
            raise Refused("ECONNRESET", f"The request to {host_port(url)} failed: {exc}") from exc
