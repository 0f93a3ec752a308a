"""Replaying Management API exchanges recorded against real Auth0 tenants (tests/compat/recordings).

Each recording is replayed in order against a running selfauth. Ids and names Auth0 made are
mapped to the ones selfauth made, by walking the recorded and the live answer side by side, so
later requests in the recording address selfauth's objects. An exchange matches when the status
is Auth0's and the answer has Auth0's keys (at every level of objects, and in the items of
arrays that pair up by id), the same JSON types under shared keys, and, for errors, Auth0's
`error` and `errorCode`.

`python -m tests.support.recordings BASE_URL CLIENT_ID CLIENT_SECRET [PREFIX]` prints what differs
in every recording (or those whose name starts with PREFIX) against a server already running, and
the share of exchanges that match.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

FILE = Path(__file__).resolve().parent.parent / "compat" / "recordings" / "go-auth0.json"
IDENTIFYING = ("id", "client_id", "user_id", "connection_id", "action_id", "version_id")
# Create bodies name things that must be unique (a connection's name, an API's identifier):
# each replay gives them its own suffix so recordings can run on one server in any order.
UNIQUE_NAMES = ("name", "identifier", "key")
DEFAULT_CONNECTION = "Username-Password-Authentication"


def load() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(FILE.read_text())["recordings"]
    return data


@dataclass
class Mismatch:
    index: int
    request: str
    problems: list[str]

    def __str__(self) -> str:
        return f"#{self.index} {self.request}: " + "; ".join(self.problems)


@dataclass
class Replay:
    """One recording's replay: the recorded->live substitutions learnt so far."""

    client: httpx.Client
    suffix: str = field(default_factory=lambda: secrets.token_hex(3))
    live: dict[str, str] = field(default_factory=dict)

    def run(self, exchanges: list[dict[str, Any]]) -> list[Mismatch]:
        found = []
        for index, exchange in enumerate(exchanges):
            problems = self.one(exchange)
            if problems:
                request = f"{exchange['method']} {exchange['path']}"
                found.append(Mismatch(index, request, problems))
        return found

    def one(self, exchange: dict[str, Any]) -> list[str]:
        method = exchange["method"]
        raw = exchange["request"]
        content_type = exchange["content_type"] or ""
        path = self._substitute_path(exchange["path"])
        query = self._substitute(exchange["query"])
        url = path + (f"?{query}" if query else "")
        if not raw:
            answer = self.client.request(method, url)
        elif content_type.startswith("application/json"):
            body = json.loads(raw)
            if method == "POST" and isinstance(body, dict):
                self._rename(body)
            payload = json.dumps(self._substitute(body)).encode()
            answer = self.client.request(
                method, url, content=payload, headers={"content-type": content_type}
            )
        else:  # multipart uploads, sent as recorded
            answer = self.client.request(
                method,
                url,
                content=self._substitute(raw).encode(),
                headers={"content-type": content_type},
            )
        recorded = exchange["response"]
        answer = self._settled(answer, recorded)
        live = answer.json() if answer.content else None
        if answer.status_code != exchange["status"]:
            # The bodies of different outcomes differ wholesale; the status says it all.
            detail = f" ({live.get('message')})" if isinstance(live, dict) else ""
            return [f"status {answer.status_code}, Auth0 {exchange['status']}{detail}"]
        if answer.status_code < 300:
            self._learn(recorded, live)
        if exchange["status"] >= 400 and recorded == {}:
            return []  # the recorder kept no error body, only the status
        return compare(recorded, live, "", self.live)

    def _settled(self, answer: httpx.Response, recorded: Any) -> httpx.Response:
        """A job Auth0 had finished when it was read is read again until selfauth's finishes."""
        finished = ("completed", "failed")
        deadline = time.monotonic() + 15
        while (
            isinstance(recorded, dict)
            and recorded.get("status") in finished
            and answer.request.method == "GET"
            and "/jobs/" in answer.request.url.path
            and answer.status_code == 200
            and answer.json().get("status") not in finished
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
            answer = self.client.get(answer.request.url)
        return answer

    def _rename(self, body: dict[str, Any]) -> None:
        for key in UNIQUE_NAMES:
            value = body.get(key)
            if isinstance(value, str) and len(value) >= 4 and value not in self.live:
                renamed = _with_suffix(value, self.suffix)
                self.live[value] = renamed

    def _learn(self, recorded: Any, live: Any) -> None:
        if isinstance(recorded, dict) and isinstance(live, dict):
            for key, value in recorded.items():
                other = live.get(key)
                if key in IDENTIFYING and isinstance(value, str) and isinstance(other, str):
                    if value != other and not value.startswith("["):
                        self.live.setdefault(value, other)
                elif isinstance(value, (dict, list)):
                    self._learn(value, other)
        elif isinstance(recorded, list) and isinstance(live, list) and len(recorded) == 1:
            self._learn(recorded[0], live[0] if live else None)

    def _substitute(self, value: Any) -> Any:
        if isinstance(value, str):
            for old in sorted(self.live, key=len, reverse=True):
                if old in value:
                    value = value.replace(old, self.live[old])
            return value
        if isinstance(value, list):
            return [self._substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: self._substitute(v) for k, v in value.items()}
        return value

    def _substitute_path(self, path: str) -> str:
        parts = path.split("/")
        decoded = [p.replace("%7C", "|").replace("%7c", "|") for p in parts]
        return "/".join(quote(self._substitute(p), safe="") for p in decoded)


def _with_suffix(value: str, suffix: str) -> str:
    if value.startswith(("http://", "https://")):
        return f"{value.rstrip('/')}/{suffix}"
    return f"{value}-{suffix}"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "?")


def compare(recorded: Any, live: Any, where: str, ids: dict[str, str]) -> list[str]:
    at = where or "body"
    if recorded is None or recorded == "":
        return [] if live in (None, "") else [f"{at}: answered a body, Auth0 none"]
    if json_type(recorded) != json_type(live):
        return [f"{at}: {json_type(live)}, Auth0 {json_type(recorded)}"]
    if isinstance(recorded, dict):
        problems = [f"{at}: lacks {key}" for key in sorted(set(recorded) - set(live))]
        problems += [f"{at}: adds {key}" for key in sorted(set(live) - set(recorded))]
        if "statusCode" in recorded:
            for key in ("error", "errorCode"):
                if key in recorded and recorded[key] != live.get(key):
                    problems.append(f"{at}.{key}: {live.get(key)!r}, Auth0 {recorded[key]!r}")
        for key in sorted(set(recorded) & set(live)):
            problems += compare(recorded[key], live[key], f"{where}.{key}".lstrip("."), ids)
        return problems
    if isinstance(recorded, list):
        return [
            problem
            for old, new in _pairs(recorded, live, ids)
            for problem in compare(old, new, f"{where}[]", ids)
        ]
    return []


def _pairs(recorded: list[Any], live: list[Any], ids: dict[str, str]) -> Iterator[tuple[Any, Any]]:
    """Items of two arrays that are the same object: by mapped id, else plain values by position.

    Arrays of a whole tenant's objects differ between tenants; only what a recording made pairs.
    """
    by_id = {}
    for item in live:
        if isinstance(item, dict):
            for key in IDENTIFYING:
                if isinstance(item.get(key), str):
                    by_id[item[key]] = item
    for position, item in enumerate(recorded):
        if isinstance(item, dict):
            for key in IDENTIFYING:
                value = item.get(key)
                if isinstance(value, str) and ids.get(value, value) in by_id:
                    yield item, by_id[ids.get(value, value)]
                    break
            else:
                if not any(k in item for k in IDENTIFYING) and position < len(live):
                    yield item, live[position]
        elif position < len(live):
            yield item, live[position]


def prepare(client: httpx.Client) -> None:
    """Give the tenant the state the recordings' tenant had: its database connection
    `Username-Password-Authentication` requires usernames (every recorded user has one)."""
    found = client.get("/api/v2/connections", params={"name": DEFAULT_CONNECTION}).json()
    connection = found[0]
    options = {**connection["options"], "requires_username": True}
    client.patch(f"/api/v2/connections/{connection['id']}", json={"options": options})


def main(base_url: str, client_id: str, client_secret: str, prefix: str = "") -> None:
    token = httpx.post(
        f"{base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": f"{base_url}/api/v2/",
        },
    ).json()["access_token"]
    headers = {"authorization": f"Bearer {token}"}
    exchanges = matched = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        prepare(client)
        for name, recording in load().items():
            if not name.startswith(prefix):
                continue
            mismatches = Replay(client).run(recording)
            exchanges += len(recording)
            matched += len(recording) - len(mismatches)
            for mismatch in mismatches:
                print(f"{name} {mismatch}")
    print(f"{matched} of {exchanges} exchanges match ({matched / exchanges:.0%})")


if __name__ == "__main__":
    main(*sys.argv[1:5])
