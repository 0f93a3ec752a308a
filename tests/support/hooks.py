"""The kit the hook tests share: actions and rules that act only for one test's client
(`guarded`, `guarded_rule`), a `Hooks` kit that removes what a test made, applications to sign
in to, the execution records, and throwaway servers for tests that would disrupt other logins."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Api, unique
from tests.support.authorize import Client as CodeClient
from tests.support.authorize import code_client
from tests.support.polling import eventually
from tests.support.server import RunningServer, backends, serving
from tests.support.signin import GRANTS, App, new_client, new_connection

ACTIONS = "/api/v2/actions/actions"
TRIGGERS = "/api/v2/actions/triggers"
RULES = "/api/v2/rules"
RULES_CONFIGS = "/api/v2/rules-configs"
EXECUTIONS = "/api/v2/actions/executions"
VERSIONS = {
    "post-login": "v3",
    "credentials-exchange": "v2",
    "pre-user-registration": "v2",
    "post-user-registration": "v2",
}
HANDLERS = {
    "post-login": "onExecutePostLogin",
    "credentials-exchange": "onExecuteCredentialsExchange",
    "pre-user-registration": "onExecutePreUserRegistration",
    "post-user-registration": "onExecutePostUserRegistration",
}


def guarded(client_id: str, body: str, trigger: str = "post-login") -> str:
    """An action whose handler does `body` for `client_id`'s logins only."""
    return (
        f"exports.{HANDLERS[trigger]} = async (event, api) => {{\n"
        f"  if (!event.client || event.client.client_id !== {json.dumps(client_id)}) return;\n"
        f"{body}\n"
        "};"
    )


def guarded_rule(client_id: str, body: str) -> str:
    """A rule that does `body` (which must call `callback`) for `client_id`'s logins only."""
    return (
        "function (user, context, callback) {\n"
        f"  if (context.clientID !== {json.dumps(client_id)}) {{\n"
        "    return callback(null, user, context);\n"
        "  }\n"
        f"{body}\n"
        "}"
    )


class Hooks:
    """Rules, rules-configs and actions made by one test, all removed by `close`."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.rules: list[str] = []
        self.actions: list[str] = []
        self.configs: list[str] = []
        self.bound: dict[str, set[str]] = {}

    def action(
        self,
        code: str,
        trigger: str = "post-login",
        *,
        secrets: dict[str, str] | None = None,
        name: str | None = None,
        bind: bool = True,
    ) -> dict[str, Any]:
        """A deployed action, bound after the trigger's current bindings unless `bind=False`."""
        body: dict[str, Any] = {
            "name": name or unique("hook"),
            "supported_triggers": [{"id": trigger, "version": VERSIONS[trigger]}],
            "code": code,
        }
        if secrets:
            body["secrets"] = [{"name": k, "value": v} for k, v in secrets.items()]
        response = self.api.post(ACTIONS, body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        self.actions.append(created["id"])
        deployed = self.api.post(f"{ACTIONS}/{created['id']}/deploy")
        assert deployed.status_code == 200, deployed.text
        if bind:
            self.bind(trigger, created)
        return created

    def bindings(self, trigger: str) -> list[dict[str, Any]]:
        response = self.api.get(f"{TRIGGERS}/{trigger}/bindings", per_page=100)
        assert response.status_code == 200, response.text
        return [
            {
                "ref": {"type": "action_id", "value": b["action"]["id"]},
                "display_name": b["display_name"],
            }
            for b in response.json()["bindings"]
        ]

    def bind(self, trigger: str, *actions: dict[str, Any]) -> None:
        """Binds `actions`, in this order, after what the trigger already runs."""
        refs = [
            {"ref": {"type": "action_id", "value": a["id"]}, "display_name": a["name"]}
            for a in actions
        ]
        self.bound.setdefault(trigger, set()).update(a["id"] for a in actions)
        response = self.api.patch(
            f"{TRIGGERS}/{trigger}/bindings", {"bindings": [*self.bindings(trigger), *refs]}
        )
        assert response.status_code == 200, response.text

    def rule(self, script: str, **fields: Any) -> dict[str, Any]:
        response = self.api.post(RULES, {"name": unique("rule"), "script": script, **fields})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        self.rules.append(created["id"])
        return created

    def config(self, key: str, value: str) -> None:
        self.configs.append(key)
        response = self.api.http.put(f"{RULES_CONFIGS}/{key}", json={"value": value})
        assert response.status_code == 200, response.text

    def close(self) -> None:
        for trigger, ours in self.bound.items():
            keep = [r for r in self.bindings(trigger) if r["ref"]["value"] not in ours]
            self.api.patch(f"{TRIGGERS}/{trigger}/bindings", {"bindings": keep})
        for action_id in self.actions:
            self.api.http.delete(f"{ACTIONS}/{action_id}", params={"force": "true"})
        for rule_id in self.rules:
            self.api.delete(f"{RULES}/{rule_id}")
        for key in self.configs:
            self.api.delete(f"{RULES_CONFIGS}/{key}")


@contextmanager
def hook_kit(api: Api) -> Iterator[Hooks]:
    """A `Hooks` kit on `api`, closed (everything it made removed) afterwards."""
    kit = Hooks(api)
    try:
        yield kit
    finally:
        kit.close()


def hook_app(api: Api, **client_fields: Any) -> App:
    """A regular web app with the password grants, on a connection of its own."""
    client = new_client(api, grant_types=GRANTS, **client_fields)
    connection = new_connection(api, client["client_id"], brute_force_protection=False)
    return App(client["client_id"], client["client_secret"], connection["name"], connection["id"])


def executions(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get(EXECUTIONS, per_page=100, **params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["executions"]
    return found


def recorded(api: Api, **params: Any) -> list[dict[str, Any]]:
    """As `executions`, waiting (up to 5 s) until there is one: see
    test_an_execution_is_listed_even_while_the_journal_is_writing_it."""
    return eventually(lambda: executions(api, **params))


def results_of(api: Api, user_id: str) -> list[dict[str, Any]]:
    """Every script result of the user's executions, newest execution first."""
    return [r for e in recorded(api, user_id=user_id) for r in e["results"]]


def code_app(api: Api) -> tuple[CodeClient, str]:
    """A confidential web app with the code grant, and a connection enabled for it."""
    client = code_client(api, "regular_web")
    return client, new_connection(api, client.client_id, brute_force_protection=False)["name"]


# --- throwaway servers ------------------------------------------------------------------------


def throwaway_server(label: str, env: Mapping[str, str]) -> Any:
    """A module-scoped fixture, once per backend: a server of its own started with `env`, on a
    fresh database in a directory named `{label}-{backend}`. Assign it to the fixture's name:
    `sandboxed = throwaway_server("hooks-sandbox", LIMITS)`."""

    @pytest.fixture(scope="module", params=backends())
    def fixture(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[RunningServer]:
        backend: str = request.param
        with serving(backend, tmp_path_factory.mktemp(f"{label}-{backend}"), dict(env)) as running:
            yield running

    return fixture


@contextmanager
def admin_hooks(server: RunningServer) -> Iterator[Hooks]:
    """A `Hooks` kit on an administrator's `Api` on `server` (`kit.api`): what the kit made is
    removed, and the Api closed, afterwards."""
    api = Api(server, server.admin_token())
    try:
        with hook_kit(api) as kit:
            yield kit
    finally:
        api.http.close()


@pytest.fixture
def hooks(api: Api) -> Iterator[Hooks]:
    """Rules, rules-configs and actions for this test on the session's server, removed
    afterwards. A test module uses it by importing it: `from tests.support.hooks import hooks as
    hooks`."""
    with hook_kit(api) as kit:
        yield kit


# --- the server's sandbox worker processes (Linux /proc) ----------------------------------------


def child_processes(pid: int) -> dict[int, int]:
    """The children of process `pid` (a server's: its sandbox workers), each with its start
    time, so that a later look can tell the process from another that reused its pid."""
    children: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            stat = process_stat(int(child))
            if stat is not None:
                children[int(child)] = int(stat[19])
    return children


def process_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time the process has used, in clock ticks (0 once it is gone)."""
    stat = process_stat(pid)
    return 0 if stat is None else int(stat[11]) + int(stat[12])


def has_exited(pid: int, started: int) -> bool:
    """True once the process that started at `started` is gone or a zombie (its new parent
    may never reap it)."""
    stat = process_stat(pid)
    return stat is None or stat[0] in ("Z", "X") or int(stat[19]) != started


SPIN_TICKS = 10
"""0.1 s of CPU at the usual 100 ticks a second: a worker that has used that much since it was
idle is running a script (a worker's whole start-up costs about 5). Kept low because on a
loaded machine (CI's other test process driving Chromium) a spinning worker was seen getting a
tenth of a core, so 30 ticks took as long as a 3 s script limit allows."""


def idle_workers(pid: int) -> dict[int, int]:
    """The live children of process `pid` (a server's: its sandbox workers), each with the CPU
    ticks it has used so far: take them while no script runs, and hand them to `spinning`."""
    return {
        child: cpu_ticks(child)
        for child, started in child_processes(pid).items()
        if not has_exited(child, started)
    }


def spinning(idle: Mapping[int, int], ticks: int = SPIN_TICKS) -> list[int]:
    """The workers of `idle` (see `idle_workers`) that have used `ticks` more CPU since: those
    running a script."""
    return [pid for pid, before in idle.items() if cpu_ticks(pid) - before >= ticks]


def busy_workers(pid: int, window: float = 0.5) -> list[int]:
    """The live children of process `pid` (a server's: its sandbox workers) that used CPU all
    through a `window` of seconds: those running a script now. An idle worker uses none; a
    spinning one gets at least a share of a core however loaded the machine is."""
    before = idle_workers(pid)
    time.sleep(window)
    return [child for child in spinning(before, ticks=3) if child in idle_workers(pid)]


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (a server, its sandbox workers, and theirs)."""
    found = [pid]
    for child in child_processes(pid):
        found.extend(descendants(child))
    return found
