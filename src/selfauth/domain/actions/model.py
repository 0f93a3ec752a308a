"""The records behind Rules and Actions, and the limits every write checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from selfauth.errors import InvalidBody

RULE_STAGE = "login_success"
# The limits of reference 7.2: an Action's code, a secret's name and value.
MAX_CODE_BYTES = 100 * 1024
MAX_SECRET_NAME = 128
MAX_SECRET_VALUE = 4096
MAX_CONFIG_VALUE = 16 * 1024
# Auth0's runtime names, stored and answered as given: selfauth runs every Action on its one
# sandbox, whichever Node version the Action names.
RUNTIMES = ("node12", "node16", "node18", "node18-actions", "node22")
DEFAULT_RUNTIME = "node22"
BUILT = "built"


@dataclass(frozen=True)
class Trigger:
    """A point of the login flow where bound Actions run, at the event shape `version`."""

    id: str
    version: str


# Auth0's trigger ids (ActionTriggerTypeEnum): lists and bindings of the ones selfauth does not
# run answer as an empty trigger's would.
AUTH0_TRIGGER_IDS = frozenset(
    {
        "post-login",
        "credentials-exchange",
        "pre-user-registration",
        "post-user-registration",
        "post-change-password",
        "send-phone-message",
        "custom-phone-provider",
        "custom-email-provider",
        "password-reset-post-challenge",
        "custom-token-exchange",
        "event-stream",
        "password-hash-migration",
        "login-post-identifier",
        "signup-post-identifier",
    }
)

# The four triggers selfauth's runtime serves, with the versions of their event shape it
# accepts, current first. post-login v2 code runs on the v3 runtime: v3's `event` and `api`
# hold everything v2's did. The pre-GA v1 shapes (`event.actor`, camelCase users, side effects
# returned as an object) would mean something else there, so they are refused.
TRIGGER_VERSIONS: dict[str, tuple[str, ...]] = {
    "post-login": ("v3", "v2"),
    "credentials-exchange": ("v2",),
    "pre-user-registration": ("v2",),
    "post-user-registration": ("v2",),
}
# Each trigger at its current version: what an action gets when it names no version.
TRIGGERS: dict[str, Trigger] = {
    trigger_id: Trigger(trigger_id, versions[0])
    for trigger_id, versions in TRIGGER_VERSIONS.items()
}


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    script: str
    order: int
    enabled: bool
    stage: str
    created_at: datetime
    updated_at: datetime


# {"name": npm package, "version": its version, "registry_url"?}, recorded as given: selfauth
# installs no npm package, and `require` of one fails when the Action runs.
Dependency = dict[str, str]


@dataclass(frozen=True)
class Secret:
    """A value the tenant's code reads as `event.secrets.NAME`; never shown by the API."""

    name: str
    value: str
    updated_at: datetime


@dataclass(frozen=True)
class Action:
    """The draft: what PATCH edits. Logins run its deployed version, not this."""

    id: str
    name: str
    supported_triggers: list[Trigger]
    code: str
    runtime: str
    secrets: list[Secret]
    created_at: datetime
    updated_at: datetime
    deployed_version_id: str | None = None
    dependencies: list[Dependency] = field(default_factory=list)


@dataclass(frozen=True)
class ActionVersion:
    """An immutable snapshot made by a deploy; bound triggers run the action's current one."""

    id: str
    action_id: str
    number: int
    code: str
    runtime: str
    supported_triggers: list[Trigger]
    secrets: list[Secret]
    created_at: datetime
    dependencies: list[Dependency] = field(default_factory=list)


@dataclass(frozen=True)
class Binding:
    id: str
    trigger_id: str
    action_id: str
    display_name: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class BindingRef:
    """How a bindings PATCH names an action: `action_id`, `action_name` or `binding_id`."""

    type: Literal["action_id", "action_name", "binding_id"]
    value: str
    display_name: str | None = None


@dataclass(frozen=True)
class BoundAction:
    """What the login runtime runs for one binding: the deployed version of a bound action."""

    action_id: str
    name: str
    version_id: str
    code: str
    secrets: dict[str, str]


@dataclass(frozen=True)
class ActionState:
    """An action with its deployed version, as the API shows it."""

    action: Action
    deployed: ActionVersion | None = None

    @property
    def all_changes_deployed(self) -> bool:
        return self.deployed is not None and same_content(self.action, self.deployed)


def same_content(action: Action, version: ActionVersion) -> bool:
    """Whether deploying the draft now would change nothing that runs."""
    return (
        action.code == version.code
        and action.runtime == version.runtime
        and action.supported_triggers == version.supported_triggers
        and _secret_values(action.secrets) == _secret_values(version.secrets)
        and deployed_dependencies(action.dependencies) == version.dependencies
    )


def _secret_values(secrets: list[Secret]) -> dict[str, str]:
    return {s.name: s.value for s in secrets}


def deployed_dependencies(dependencies: list[Dependency]) -> list[Dependency]:
    """What a deploy copies into the version: each package's name and version (Auth0's versions
    show no `registry_url`)."""
    return [{k: v for k, v in d.items() if k in ("name", "version")} for d in dependencies]


class Problem(Protocol):
    """Where a script fails to compile (1-based line and column of the tenant's source)."""

    @property
    def message(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


class ScriptChecker(Protocol):
    """Compiles tenant code without running it (the sandbox, hooks/sandbox.py)."""

    async def check(self, source: str, kind: Literal["rule", "action"]) -> Problem | None: ...


class ScriptError(InvalidBody):
    """Code that does not compile; line and column also travel as fields of the body."""

    def __init__(self, problem: Problem, prop: str) -> None:
        super().__init__(f"{problem.message} (line {problem.line}, column {problem.column})")
        self.details = {"line": problem.line, "column": problem.column}


async def check_script(
    checker: ScriptChecker, source: str, kind: Literal["rule", "action"], prop: str
) -> None:
    if len(source.encode()) > MAX_CODE_BYTES:
        raise invalid(f"Code is larger than {MAX_CODE_BYTES // 1024} kB", prop)
    problem = await checker.check(source, kind)
    if problem is not None:
        raise ScriptError(problem, prop)


def invalid(message: str, prop: str) -> InvalidBody:
    return InvalidBody(f"Payload validation error: '{message}' on property {prop}.")


# What the store is handed for a read-modify-write (the change runs on the locked row).
Change = Callable[[Action, frozenset[str]], Action]  # the draft and the triggers it is bound to
Build = Callable[[ActionState, int], tuple[ActionVersion, Action]]  # the next version number
Bound = list[tuple[Binding, ActionState]]
