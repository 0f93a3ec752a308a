"""A trigger's bindings (/admin/actions/triggers/{trigger}): the deployed actions it runs, in
order. Adding, removing and moving one (up/down buttons, without JavaScript) or dropping one in
place (assets/actions.js fills the form's `order` and submits it) all save the whole ordered
list through the same model and service as PATCH /api/v2/actions/triggers/{id}/bindings, so
every rule holds: only deployed actions that support the trigger, each once."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.actions.model import TRIGGERS, BindingRef
from selfauth.errors import NotFound, SelfauthError
from selfauth.web.admin.actions_samples import TRIGGER_LABELS
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.actions import UpdateBindings

router = APIRouter(include_in_schema=False)

_NOTICES = {"saved": "Order saved. Logins run these actions from now on."}


def _trigger(trigger: str) -> str:
    if trigger not in TRIGGERS:
        raise NotFound(f"selfauth runs no trigger {trigger}.")
    return trigger


def _base(trigger: str) -> str:
    return f"/admin/actions/triggers/{trigger}"


async def _page(
    request: Request, admin: Admin, trigger: str, problem: str | None = None, status: int = 200
) -> Response:
    found = admin.services
    bound = await found.actions.bindings(trigger)
    bound_ids = {state.action.id for _, state in bound}
    deployed = await found.actions.find(trigger_id=trigger, name=None, deployed=True)
    return admin_page(
        request,
        admin,
        "actions/bindings.html",
        title=f"Trigger: {TRIGGER_LABELS[trigger]}",
        trigger=trigger,
        triggers=TRIGGER_LABELS,
        bound=[(binding, state) for binding, state in bound],
        candidates=[s for s in deployed if s.action.id not in bound_ids],
        notice=_NOTICES.get(request.query_params.get("done", "")),
        problem=problem,
    )


@router.get("/admin/actions/triggers/{trigger}")
async def bindings_page(
    trigger: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    return await _page(request, admin, _trigger(trigger))


async def _save(request: Request, admin: Admin, trigger: str, order: list[str]) -> Response:
    """Binds `order` (action ids) as the trigger's whole list, keeping display names."""
    found = admin.services
    names = {state.action.id: b.display_name for b, state in await found.actions.bindings(trigger)}
    items = [
        {
            "ref": {"type": "action_id", "value": action_id},
            **({"display_name": names[action_id]} if names.get(action_id) else {}),
        }
        for action_id in order
    ]
    try:
        body = validate(UpdateBindings, {"bindings": items})
        refs = [BindingRef(b.ref.type, b.ref.value, b.display_name) for b in body.bindings]
        await found.actions.bind(trigger, refs)
    except SelfauthError as exc:
        return await _page(request, admin, trigger, problem=exc.message, status=400)
    return RedirectResponse(f"{_base(trigger)}?done=saved", status_code=303)


async def _current(admin: Admin, trigger: str) -> list[str]:
    return [state.action.id for _, state in await admin.services.actions.bindings(trigger)]


@router.post("/admin/actions/triggers/{trigger}/order")
async def bindings_order(
    trigger: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    """The whole order at once (the drag-and-drop script's form)."""
    _trigger(trigger)
    fields = await admin.form(request)
    order = [item for item in fields.get("order", "").split(",") if item]
    return await _save(request, admin, trigger, order)


@router.post("/admin/actions/triggers/{trigger}/move")
async def bindings_move(
    trigger: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    _trigger(trigger)
    fields = await admin.form(request)
    order = await _current(admin, trigger)
    action_id = fields.get("action_id", "")
    if action_id in order:
        at = order.index(action_id)
        other = at - 1 if fields.get("direction") == "up" else at + 1
        if 0 <= other < len(order):
            order[at], order[other] = order[other], order[at]
    return await _save(request, admin, trigger, order)


@router.post("/admin/actions/triggers/{trigger}/add")
async def bindings_add(
    trigger: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    _trigger(trigger)
    fields = await admin.form(request)
    order = await _current(admin, trigger)
    return await _save(request, admin, trigger, [*order, fields.get("action_id", "")])


@router.post("/admin/actions/triggers/{trigger}/remove")
async def bindings_remove(
    trigger: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    _trigger(trigger)
    fields = await admin.form(request)
    order = [a for a in await _current(admin, trigger) if a != fields.get("action_id")]
    return await _save(request, admin, trigger, order)
