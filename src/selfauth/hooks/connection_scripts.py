"""A connection's scripts, run one call at a time: an `oauth2` connection's `fetchUserProfile`
and (later) a custom database's `login`, `get_user`, ... Each is one JavaScript function
called with its arguments and a callback `(error, value)`, as Auth0 calls them, in the same
sandbox as Rules and Actions; only these scripts get the network (hooks/http_facility.py), and
only to the hosts their connection names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from selfauth.hooks.messages import Network, RunJob
from selfauth.hooks.sandbox import Sandbox, SandboxFailure

# One response body a script may receive, at most.
MAX_RESPONSE_BYTES = 1 << 20


class ScriptFailed(Exception):
    """The script answered an error (`kind`: one of Auth0's error types or "Error"), or could
    not answer (it threw, timed out, ran out of memory, never called back: `kind` "Error")."""

    def __init__(self, message: str, kind: str = "Error", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.code = code


@dataclass(frozen=True)
class ScriptCall:
    """One call: the script's `name` (for its errors), its source, its arguments (the
    callback comes after them), the connection's `configuration` and what it may reach."""

    name: str
    code: str
    args: list[Any]
    configuration: dict[str, str]
    allowed_hosts: frozenset[str]


class ConnectionScripts:
    def __init__(self, sandbox: Sandbox, request_timeout_seconds: float) -> None:
        self._sandbox = sandbox
        self._timeout = request_timeout_seconds

    async def call(self, call: ScriptCall) -> Any:
        """The value the script passed its callback; `ScriptFailed` otherwise."""
        network: Network = {
            "allowed": sorted(call.allowed_hosts),
            "timeout_seconds": self._timeout,
            "max_bytes": MAX_RESPONSE_BYTES,
        }
        job: RunJob = {
            "kind": "script",
            "trigger": call.name,
            "scripts": [{"name": call.name, "code": call.code}],
            "args": call.args,
            "configuration": call.configuration,
            "network": network,
        }
        try:
            answer = await self._sandbox.run(job)
        except SandboxFailure as failure:
            raise ScriptFailed(f"The {call.name} script failed: {failure}") from failure
        result = answer.get("result")
        if result is None:
            failed = answer["failed"]
            why = failed["message"] if failed is not None else "it gave no answer"
            raise ScriptFailed(f"The {call.name} script failed: {why}")
        if not result["ok"]:
            raise ScriptFailed(
                result.get("error") or "error", result.get("kind", "Error"), result.get("code")
            )
        return result.get("value")
