"""The dashboard's actions section: the list, creating an action, editing its draft (code in
the editor, dependencies, write-only secrets), deploying it, trying the draft against a sample
event, and deleting it. Versions are in actions_versions.py, trigger bindings in
actions_bindings.py.

Every write builds the body `/api/v2/actions/actions` would get, validates it with that
router's model and calls the same ActionService method: the code is compiled by the sandbox
before it is stored, secrets are never shown again, a deploy makes an immutable version."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.actions.model import TRIGGERS, ActionState
from selfauth.errors import InvalidBody, SelfauthError
from selfauth.web.admin import actions_bindings, actions_versions
from selfauth.web.admin.actions_samples import NEW_CODE, TRIGGER_LABELS, sample_event
from selfauth.web.admin.code_forms import field_errors, typed_text
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.actions import CreateAction, TestAction, UpdateAction

router = APIRouter(include_in_schema=False)
router.include_router(actions_versions.router)
router.include_router(actions_bindings.router)

BLANK_SECRETS = 2  # empty name/value rows the form offers for new secrets
_FIELDS = {
    "name": "name",
    "code": "code",
    "supported_triggers": "trigger",
    "dependencies": "dependencies",
    "secrets": "secrets",
}
_NOTICES = {
    "created": "Action created. It runs nowhere until it is deployed and bound to its trigger.",
    "saved": "Draft saved. Deploy it to make logins run it.",
    "deleted": "Action deleted.",
}


def status_of(state: ActionState) -> tuple[str, str]:
    """(label, badge class) of the draft against what is deployed."""
    if state.deployed is None:
        return "Not deployed", ""
    if state.all_changes_deployed:
        return f"Deployed (v{state.deployed.number})", "ok"
    return f"Draft changes (v{state.deployed.number} deployed)", "warn"


def action_href(state: ActionState) -> str:
    return f"/admin/actions/{state.action.id}"


@router.get("/admin/actions")
async def actions_list(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    states = await admin.services.actions.find(trigger_id=None, name=None, deployed=None)
    rows = [
        {
            "href": action_href(s),
            "name": s.action.name,
            "trigger": ", ".join(t.id for t in s.action.supported_triggers),
            "status": status_of(s),
            "updated_at": s.action.updated_at,
        }
        for s in states
    ]
    notice = _NOTICES.get(request.query_params.get("done", ""))
    return admin_page(
        request,
        admin,
        "actions/list.html",
        title="Actions",
        rows=rows,
        triggers=TRIGGER_LABELS,
        notice=notice,
    )


def _dependencies(text: str) -> list[dict[str, str]]:
    """One `name@version` a line (`@scope/name@1.2.3` too); a name alone has no version."""
    found = []
    for line in text.splitlines():
        item = line.strip()
        if not item:
            continue
        at = item.rfind("@")
        if at > 0:
            found.append({"name": item[:at], "version": item[at + 1 :]})
        else:
            found.append({"name": item})
    return found


def _secrets(fields: dict[str, str]) -> list[dict[str, str]]:
    """The secrets rows: a name with an empty value keeps its stored value; a removed row or
    an empty name is left out (the given list replaces the secrets, as on the API)."""
    secrets = []
    index = 0
    while f"secret_name_{index}" in fields:
        name = fields[f"secret_name_{index}"].strip()
        value = fields.get(f"secret_value_{index}", "")
        if name and fields.get(f"secret_remove_{index}") != "on":
            secrets.append({"name": name, "value": value} if value else {"name": name})
        index += 1
    return secrets


def _body(fields: dict[str, str], *, creating: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": fields.get("name", "").strip(),
        "code": typed_text(fields.get("code", "")),
        "dependencies": _dependencies(fields.get("dependencies", "")),
        "secrets": _secrets(fields),
    }
    if creating:
        trigger = fields.get("trigger", "")
        found = TRIGGERS.get(trigger)
        body["supported_triggers"] = [{"id": trigger, "version": found.version if found else ""}]
    return body


def _secret_rows(fields: dict[str, str] | None, state: ActionState | None) -> list[dict[str, Any]]:
    """The secrets as the form shows them: names only, values never."""
    rows: list[dict[str, Any]] = []
    if fields is not None:
        index = 0
        while f"secret_name_{index}" in fields:
            name = fields[f"secret_name_{index}"]
            removed = fields.get(f"secret_remove_{index}") == "on"
            rows.append({"name": name, "stored": False, "removed": removed})
            index += 1
        stored = {s.name for s in state.action.secrets} if state else set()
        for row in rows:
            row["stored"] = row["name"] in stored
        return rows
    if state is not None:
        rows = [{"name": s.name, "stored": True, "removed": False} for s in state.action.secrets]
    return rows + [{"name": "", "stored": False, "removed": False}] * BLANK_SECRETS


def _form_of(state: ActionState) -> dict[str, Any]:
    action = state.action
    return {
        "name": action.name,
        "code": action.code,
        "trigger": action.supported_triggers[0].id if action.supported_triggers else "",
        "dependencies": "\n".join(
            f"{d['name']}@{d['version']}" if d.get("version") else d["name"]
            for d in action.dependencies
        ),
    }


def _editor_page(
    request: Request,
    admin: Admin,
    *,
    state: ActionState | None,
    form: dict[str, Any],
    secrets: list[dict[str, Any]],
    errors: dict[str, str] | None = None,
    position: dict[str, int] | None = None,
    problem: str | None = None,
    event: str | None = None,
    event_error: str | None = None,
    result: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    trigger = form.get("trigger") or "post-login"
    title = f"Action {state.action.name}" if state else "New action"
    notice = _NOTICES.get(request.query_params.get("done", ""))
    if request.query_params.get("done") == "deployed" and state and state.deployed:
        notice = f"Deployed as version {state.deployed.number}."
    return admin_page(
        request,
        admin,
        "actions/edit.html",
        title=title,
        status=status,
        state=state,
        action_status=status_of(state) if state else None,
        form=form,
        secrets=secrets,
        errors=errors or {},
        position=position,
        triggers=TRIGGER_LABELS,
        event=event if event is not None else sample_event(trigger),
        event_error=event_error,
        result=result,
        notice=notice,
        problem=problem,
    )


@router.get("/admin/actions/new")
async def action_new(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    trigger = request.query_params.get("trigger", "post-login")
    trigger = trigger if trigger in TRIGGERS else "post-login"
    form = {"name": "", "code": NEW_CODE[trigger], "trigger": trigger, "dependencies": ""}
    return _editor_page(request, admin, state=None, form=form, secrets=_secret_rows(None, None))


def _failed(
    request: Request,
    admin: Admin,
    state: ActionState | None,
    fields: dict[str, str],
    exc: SelfauthError,
) -> Response:
    errors, problem, position = field_errors(exc, _FIELDS, "code")
    form = dict(fields)
    if state is not None:
        form["trigger"] = _form_of(state)["trigger"]
    return _editor_page(
        request,
        admin,
        state=state,
        form=form,
        secrets=_secret_rows(fields, state),
        errors=errors,
        position=position,
        problem=problem,
        status=400,
    )


@router.post("/admin/actions/new")
async def action_create(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    fields = await admin.form(request)
    try:
        body = validate(CreateAction, _body(fields, creating=True))
        state = await admin.services.actions.create(body.model_dump(exclude_unset=True))
    except SelfauthError as exc:
        return _failed(request, admin, None, fields, exc)
    return RedirectResponse(f"{action_href(state)}?done=created", status_code=303)


@router.get("/admin/actions/{action_id}")
async def action_edit(
    action_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    state = await admin.services.actions.get(action_id)
    return _editor_page(
        request, admin, state=state, form=_form_of(state), secrets=_secret_rows(None, state)
    )


@router.post("/admin/actions/{action_id}")
async def action_save(
    action_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    state = await found.actions.get(action_id)
    fields = await admin.form(request)
    try:
        body = validate(UpdateAction, _body(fields, creating=False))
        await found.actions.update(action_id, body.model_dump(exclude_unset=True))
    except SelfauthError as exc:
        return _failed(request, admin, state, fields, exc)
    return RedirectResponse(f"{action_href(state)}?done=saved", status_code=303)


@router.post("/admin/actions/{action_id}/deploy")
async def action_deploy(
    action_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    await admin.form(request)
    await admin.services.actions.deploy(action_id)
    return RedirectResponse(f"/admin/actions/{action_id}?done=deployed", status_code=303)


@router.post("/admin/actions/{action_id}/try")
async def action_try(
    action_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    """Runs the saved draft against the typed event: nothing is written, so the answer is the
    page itself (no redirect), with the result and the event as typed."""
    found = admin.services
    state = await found.actions.get(action_id)
    fields = await admin.form(request)
    text = fields.get("event", "")
    result = None
    event_error = None
    try:
        try:
            event = json.loads(text)
        except ValueError as exc:
            raise InvalidBody(f"The event is not JSON: {exc}") from exc
        body = validate(TestAction, {"payload": event})
        result = await found.actions.test(action_id, body.payload)
    except SelfauthError as exc:
        event_error = exc.message
    return _editor_page(
        request,
        admin,
        state=state,
        form=_form_of(state),
        secrets=_secret_rows(None, state),
        event=text,
        event_error=event_error,
        result=_shown(result) if result else None,
        status=400 if event_error else 200,
    )


def _shown(result: dict[str, Any]) -> dict[str, Any]:
    """The dry run's answer with each command's arguments as JSON text for the page."""
    commands = []
    for command in result["commands"]:
        arguments = {k: v for k, v in command.items() if k != "name"}
        commands.append({"name": command["name"], "arguments": json.dumps(arguments)})
    return {**result, "commands": commands}


@router.post("/admin/actions/{action_id}/delete")
async def action_delete(
    action_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    state = await found.actions.get(action_id)
    await admin.form(request)
    try:
        await found.actions.delete(action_id, force=False)
    except SelfauthError as exc:
        return _editor_page(
            request,
            admin,
            state=state,
            form=_form_of(state),
            secrets=_secret_rows(None, state),
            problem=f"{exc.message} Remove it from its trigger's bindings first.",
            status=400,
        )
    return RedirectResponse("/admin/actions?done=deleted", status_code=303)
