"""Actions, versions, bindings and triggers as the Management API shows them.

Secret values appear in none of these views: only names and when each was last set.
"""

from __future__ import annotations

from typing import Any

from selfauth.domain.actions.model import (
    BUILT,
    DEFAULT_RUNTIME,
    RUNTIMES,
    TRIGGERS,
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
    action = state.action
    view = action_base_view(state)
    view.update(
        {
            "code": action.code,
            "dependencies": [],
            "runtime": action.runtime,
            "secrets": _secrets(action.secrets),
            "status": BUILT,
            # Compiled when saved, so a stored draft is always built.
            "built_at": iso(action.updated_at),
        }
    )
    if state.deployed is not None:
        view["deployed_version"] = version_view(state.deployed, state)
    return view


def version_view(version: ActionVersion, state: ActionState) -> dict[str, Any]:
    return {
        "id": version.id,
        "action_id": version.action_id,
        "code": version.code,
        "dependencies": [],
        "deployed": state.action.deployed_version_id == version.id,
        "runtime": version.runtime,
        "secrets": _secrets(version.secrets),
        "status": BUILT,
        "number": version.number,
        "errors": [],
        "action": action_base_view(state),
        "built_at": iso(version.created_at),
        "created_at": iso(version.created_at),
        "updated_at": iso(version.created_at),
        "supported_triggers": _triggers(version.supported_triggers),
    }


def binding_view(binding: Binding, state: ActionState) -> dict[str, Any]:
    return {
        "id": binding.id,
        "trigger_id": binding.trigger_id,
        "display_name": binding.display_name,
        "action": action_view(state),
        "created_at": iso(binding.created_at),
        "updated_at": iso(binding.updated_at),
    }


def triggers_view() -> dict[str, Any]:
    return {
        "triggers": [
            {
                "id": trigger.id,
                "version": trigger.version,
                "status": "CURRENT",
                "runtimes": list(RUNTIMES),
                "default_runtime": DEFAULT_RUNTIME,
                "compatible_triggers": [],
                "binding_policy": "trigger-bound",
            }
            for trigger in TRIGGERS.values()
        ]
    }
