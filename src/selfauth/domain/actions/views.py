"""Actions, versions, bindings and triggers as the Management API shows them.

Each view has the keys Auth0's answer has (its recorded answers, tests/compat/recordings),
no more. Secret values appear in none of them: only names and when each was last set.
"""

from __future__ import annotations

from typing import Any

from selfauth.domain.actions.model import (
    BUILT,
    DEFAULT_RUNTIME,
    RUNTIMES,
    TRIGGER_VERSIONS,
    ActionState,
    ActionVersion,
    Binding,
    Secret,
    Trigger,
)
from selfauth.domain.clock import iso


def _triggers(triggers: list[Trigger]) -> list[dict[str, Any]]:
    return [{"id": t.id, "version": t.version} for t in triggers]


def _secrets(secrets: list[Secret]) -> list[dict[str, Any]]:
    return [{"name": s.name, "updated_at": iso(s.updated_at)} for s in secrets]


def action_base_view(state: ActionState) -> dict[str, Any]:
    """The action as a version shows it (`action`)."""
    action = state.action
    return {
        "id": action.id,
        "name": action.name,
        "supported_triggers": _triggers(action.supported_triggers),
        "all_changes_deployed": state.all_changes_deployed,
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
    }


def action_view(state: ActionState) -> dict[str, Any]:
    """The draft, with its deployed version once there is one. Code is compiled when saved, so
    a stored draft is always `built`."""
    action = state.action
    view = action_base_view(state)
    view.update(
        {
            "code": action.code,
            "dependencies": action.dependencies,
            "runtime": action.runtime,
            "secrets": _secrets(action.secrets),
            "status": BUILT,
        }
    )
    return _with_deployed(view, state)


def _with_deployed(view: dict[str, Any], state: ActionState) -> dict[str, Any]:
    if state.deployed is not None:
        view["deployed_version"] = _version_fields(state.deployed, state)
        view["current_version"] = _current_version(state.deployed)
    return view


def _version_fields(version: ActionVersion, state: ActionState) -> dict[str, Any]:
    """A version as an action's `deployed_version` shows it. A deploy builds at once, so
    `built_at` is when it was made."""
    return {
        "id": version.id,
        "code": version.code,
        "dependencies": version.dependencies,
        "deployed": state.action.deployed_version_id == version.id,
        "runtime": version.runtime,
        "secrets": _secrets(version.secrets),
        "status": BUILT,
        "number": version.number,
        "built_at": iso(version.created_at),
        "created_at": iso(version.created_at),
        "updated_at": iso(version.created_at),
        "supported_triggers": _triggers(version.supported_triggers),
    }


def _current_version(version: ActionVersion) -> dict[str, Any]:
    """Auth0's summary of the version that runs (upper-case status, `build_time`)."""
    return {
        "id": version.id,
        "code": version.code,
        "runtime": version.runtime,
        "status": BUILT.upper(),
        "number": version.number,
        "build_time": iso(version.created_at),
        "created_at": iso(version.created_at),
        "updated_at": iso(version.created_at),
    }


def version_view(version: ActionVersion, state: ActionState) -> dict[str, Any]:
    """A version as read (one, or in the versions list)."""
    return {**_version_fields(version, state), "action": action_base_view(state)}


def deployed_view(version: ActionVersion, state: ActionState) -> dict[str, Any]:
    """A version as a deploy or roll-back answers it: Auth0 answers before the build, so
    without `built_at`."""
    view = version_view(version, state)
    del view["built_at"]
    return view


def binding_view(binding: Binding, state: ActionState) -> dict[str, Any]:
    return {
        "id": binding.id,
        "trigger_id": binding.trigger_id,
        "display_name": binding.display_name,
        # Auth0 shows the bound action without its draft's content.
        "action": _with_deployed(action_base_view(state), state),
        "created_at": iso(binding.created_at),
        "updated_at": iso(binding.updated_at),
    }


def triggers_view() -> dict[str, Any]:
    """Each version of each trigger selfauth runs: the current one, and older ones whose code
    runs on it (listed as its compatible triggers, as Auth0 does)."""
    triggers = []
    for trigger_id, versions in TRIGGER_VERSIONS.items():
        current, *older = versions
        for version in versions:
            compatible = older if version == current else []
            triggers.append(
                {
                    "id": trigger_id,
                    "version": version,
                    "status": "CURRENT" if version == current else "DEPRECATED",
                    "runtimes": list(RUNTIMES),
                    "default_runtime": DEFAULT_RUNTIME,
                    "compatible_triggers": [{"id": trigger_id, "version": v} for v in compatible],
                }
            )
    return {"triggers": triggers}
