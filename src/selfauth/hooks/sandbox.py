"""The one interface the rest of selfauth sees of the JavaScript engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

ScriptKind = Literal["rule", "action"]


@dataclass(frozen=True)
class CompileProblem:
    """Why a script does not compile, at a 1-based line and column of the tenant's source."""

    message: str
    line: int
    column: int


class Sandbox(Protocol):
    async def check(self, source: str, kind: ScriptKind) -> CompileProblem | None:
        """Compile without running; `None` when the script is valid."""
        ...

    async def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one trigger's scripts (see hooks/worker.py for the job's shape)."""
        ...
