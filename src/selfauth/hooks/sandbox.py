"""The one interface the rest of selfauth sees of the JavaScript engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from selfauth.hooks.messages import RunAnswer, RunJob, ScriptKind

__all__ = ["CompileProblem", "Sandbox", "SandboxFailure", "ScriptKind"]


@dataclass(frozen=True)
class CompileProblem:
    """Why a script does not compile, at a 1-based line and column of the tenant's source."""

    message: str
    line: int
    column: int


class SandboxFailure(Exception):
    """The sandbox could not answer (its worker died or hung): the request it was serving
    fails. `script` names the script that was running when the watchdog ran out of patience,
    if one was."""

    def __init__(self, message: str, script: str | None = None) -> None:
        super().__init__(message)
        self.script = script


class Sandbox(Protocol):
    async def check(self, source: str, kind: ScriptKind) -> CompileProblem | None:
        """Compile without running; `None` when the script is valid."""
        ...

    async def run(self, job: RunJob) -> RunAnswer:
        """Run one trigger's scripts in order (hooks/messages.py has the shapes)."""
        ...
