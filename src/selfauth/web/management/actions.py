"""`/api/v2/actions`: actions, their versions, and the ordered bindings of each trigger."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response
from starlette.types import Message

from selfauth.domain.actions.model import AUTH0_TRIGGER_IDS, BindingRef
from selfauth.domain.actions.service import check_trigger_id
from selfauth.domain.actions.views import (
    action_view,
    binding_view,
    deployed_view,
    triggers_view,
    version_view,
)
from selfauth.errors import InvalidQueryString
from selfauth.web import openapi
from selfauth.web.body import read_bytes, read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.query import Paging, boolean
from selfauth.web.security import Caller, require

router = APIRouter()
ACTIONS = "/actions/actions"


class _CompatibleTrigger(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    version: str


class _TriggerRef(BaseModel):
    """Auth0's ActionTrigger. Only `id` and `version` are the action's: the rest describe the
    trigger (what GET /actions/triggers answers) and are ignored, so a read trigger can be sent
    back as is."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: str = ""
    status: str = ""
    runtimes: list[str] = Field(default_factory=list)
    default_runtime: str = ""
    compatible_triggers: list[_CompatibleTrigger] = Field(default_factory=list)
    binding_policy: Literal["trigger-bound", "entity-bound"] = "trigger-bound"


class _SecretIn(BaseModel):
    # Auth0 accepts any further property; `updated_at` from a GET is one: a secret sent back
    # without `value` keeps its value.
    model_config = ConfigDict(extra="ignore")

    name: str
    value: str | None = None


class _Dependency(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    version: str = ""
    registry_url: str = ""


class _ModuleRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    module_id: str = ""
    module_name: str = ""
    module_version_id: str = ""
    module_version_number: int = 0


class UpdateAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    supported_triggers: list[_TriggerRef] = Field(default_factory=list)
    code: str = ""
    dependencies: list[_Dependency] = Field(default_factory=list)
    runtime: str = ""
    secrets: list[_SecretIn] = Field(default_factory=list)
    modules: list[_ModuleRef] = Field(default_factory=list)


class CreateAction(UpdateAction):
    name: str
    supported_triggers: list[_TriggerRef]
    deploy: bool = False


class _Ref(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["action_id", "action_name", "binding_id"] = "action_name"
    value: str


class _BindingItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: _Ref
    display_name: str | None = Field(default=None, min_length=1, max_length=255)
    secrets: list[_SecretIn] = Field(default_factory=list, max_length=0)


class UpdateBindings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bindings: list[_BindingItem]


class TestAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any]  # the trigger's `event`


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    update_draft: bool = False


def _paging(request: Request) -> Paging:
    return Paging.parse(request.query_params, default=20, maximum=100)


def _paged(
    key: str, items: list[Any], total: int, paging: Paging, request: Request
) -> dict[str, Any]:
    """Auth0 answers `page` only when the query gives one."""
    paged: dict[str, Any] = {key: items, "total": total, "per_page": paging.per_page}
    if request.query_params.get("page"):
        paged["page"] = paging.page
    return paged


@router.get(
    ACTIONS,
    responses=openapi.management(ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(
        *openapi.PAGING, "triggerId", "actionName", "deployed", "installed"
    ),
)
async def list_actions(
    request: Request,
    caller: Caller = Depends(require("read:actions")),
) -> Response:
    query = request.query_params
    paging = _paging(request)
    trigger_id = query.get("triggerId") or None
    if trigger_id is not None and trigger_id not in AUTH0_TRIGGER_IDS:
        raise InvalidQueryString(
            f"Query validation error: 'No enum match for: {trigger_id}' on property triggerId."
        )
    deployed = boolean(query, "deployed", False) if query.get("deployed") else None
    states = []
    if not boolean(query, "installed", False):  # no marketplace integrations in selfauth
        states = await caller.services.actions.find(
            trigger_id=trigger_id, name=query.get("actionName") or None, deployed=deployed
        )
    page = states[paging.offset : paging.offset + paging.per_page]
    items = [action_view(s) for s in page]
    return JSONResponse(_paged("actions", items, len(states), paging, request))


@router.post(
    ACTIONS,
    status_code=201,
    responses=openapi.management(409, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(CreateAction),
)
async def create_action(
    request: Request,
    caller: Caller = Depends(require("create:actions")),
) -> Response:
    found = caller.services
    body = validate(CreateAction, await read_json_object(request, found.settings.max_body_bytes))
    state = await found.actions.create(body.model_dump(exclude_unset=True))
    return JSONResponse(action_view(state), status_code=201)


@router.get(ACTIONS + "/{action_id}", responses=openapi.management(404, ok=(200, openapi.OBJECT)))
async def get_action(
    action_id: str,
    caller: Caller = Depends(require("read:actions")),
) -> Response:
    return JSONResponse(action_view(await caller.services.actions.get(action_id)))


@router.patch(
    ACTIONS + "/{action_id}",
    responses=openapi.management(404, 409, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(UpdateAction),
)
async def update_action(
    action_id: str,
    request: Request,
    caller: Caller = Depends(require("update:actions")),
) -> Response:
    found = caller.services
    body = validate(UpdateAction, await read_json_object(request, found.settings.max_body_bytes))
    state = await found.actions.update(action_id, body.model_dump(exclude_unset=True))
    return JSONResponse(action_view(state))


@router.delete(
    ACTIONS + "/{action_id}",
    status_code=204,
    responses=openapi.management(404, 409),
    openapi_extra=openapi.query("force"),
)
async def delete_action(
    action_id: str,
    request: Request,
    caller: Caller = Depends(require("delete:actions")),
) -> Response:
    force = boolean(request.query_params, "force", False)
    await caller.services.actions.delete(action_id, force=force)
    return Response(status_code=204)


@router.post(
    ACTIONS + "/{action_id}/deploy", responses=openapi.management(404, ok=(200, openapi.OBJECT))
)
async def deploy_action(
    action_id: str,
    caller: Caller = Depends(require("create:actions")),
) -> Response:
    service = caller.services.actions
    version = await service.deploy(action_id)
    return JSONResponse(deployed_view(version, await service.get(action_id)))


@router.post(
    ACTIONS + "/{action_id}/test",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(TestAction),
)
async def run_action_test(
    action_id: str,
    request: Request,
    caller: Caller = Depends(require("create:actions")),
) -> Response:
    """Runs the draft against the given event; nothing it asks for is applied."""
    found = caller.services
    body = validate(TestAction, await read_json_object(request, found.settings.max_body_bytes))
    result = await found.actions.test(action_id, body.payload)
    return JSONResponse({"payload": result})


@router.get(
    ACTIONS + "/{action_id}/versions",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.PAGING),
)
async def list_versions(
    action_id: str,
    request: Request,
    caller: Caller = Depends(require("read:actions")),
) -> Response:
    found = caller.services
    paging = _paging(request)
    state, versions, total = await found.actions.versions(
        action_id, offset=paging.offset, limit=paging.per_page
    )
    items = [version_view(v, state) for v in versions]
    return JSONResponse(_paged("versions", items, total, paging, request))


@router.get(
    ACTIONS + "/{action_id}/versions/{version_id}",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
)
async def get_version(
    action_id: str,
    version_id: str,
    caller: Caller = Depends(require("read:actions")),
) -> Response:
    service = caller.services.actions
    version = await service.version(action_id, version_id)
    return JSONResponse(version_view(version, await service.get(action_id)))


@router.post(
    ACTIONS + "/{action_id}/versions/{version_id}/deploy",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(Rollback),
)
async def rollback(
    action_id: str,
    version_id: str,
    request: Request,
    caller: Caller = Depends(require("create:actions")),
) -> Response:
    found = caller.services
    body = validate(Rollback, await _rollback_body(request, found.settings.max_body_bytes))
    service = found.actions
    version = await service.rollback(action_id, version_id, body.update_draft)
    return JSONResponse(deployed_view(version, await service.get(action_id)))


async def _rollback_body(request: Request, limit: int) -> dict[str, Any]:
    """Auth0 takes a JSON `null` here as no options (go-auth0 sends one); any other body is
    read as every other one is."""
    raw = await read_bytes(request, limit)
    if raw.strip() == b"null":
        return {}
    return await read_json_object(_replayed(request, raw), limit)


def _replayed(request: Request, raw: bytes) -> Request:
    """The request again, with `raw` as its body (its own stream is spent)."""

    async def receive() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    return Request(request.scope, receive)


@router.get("/actions/triggers", responses=openapi.management(ok=(200, openapi.OBJECT)))
async def list_triggers(
    caller: Caller = Depends(require("read:actions")),
) -> Response:
    return JSONResponse(triggers_view())


@router.get(
    "/actions/triggers/{trigger_id}/bindings",
    responses=openapi.management(ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.query(*openapi.PAGING),
)
async def list_bindings(
    trigger_id: str,
    request: Request,
    caller: Caller = Depends(require("read:actions")),
) -> Response:
    check_trigger_id(trigger_id)
    paging = _paging(request)
    bound = await caller.services.actions.bindings(trigger_id)
    page = bound[paging.offset : paging.offset + paging.per_page]
    items = [binding_view(binding, state) for binding, state in page]
    return JSONResponse(_paged("bindings", items, len(bound), paging, request))


@router.patch(
    "/actions/triggers/{trigger_id}/bindings",
    responses=openapi.management(404, ok=(200, openapi.OBJECT)),
    openapi_extra=openapi.json_body(UpdateBindings),
)
async def update_bindings(
    trigger_id: str,
    request: Request,
    caller: Caller = Depends(require("update:actions")),
) -> Response:
    found = caller.services
    body = validate(UpdateBindings, await read_json_object(request, found.settings.max_body_bytes))
    refs = [BindingRef(b.ref.type, b.ref.value, b.display_name) for b in body.bindings]
    bound = await found.actions.bind(trigger_id, refs)
    return JSONResponse({"bindings": [binding_view(b, s) for b, s in bound]})
