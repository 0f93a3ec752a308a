"""The dashboard's rules section: the Rules in execution order (create, edit, enable or
disable, move up or down, delete) and the rules configuration (keys listed, values write-only).

Every write builds the body `/api/v2/rules` or `/api/v2/rules-configs` would get, validates it
with that router's model and calls the same service, so a script is compiled by the sandbox
before it is stored and a compile error comes back with its line and column."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.actions.model import Rule
from selfauth.domain.actions.rules import check_rule_id, inexistent_rule
from selfauth.errors import SelfauthError
from selfauth.web.admin.code_forms import field_errors, typed_text
from selfauth.web.admin.page import admin_page
from selfauth.web.admin.session import Admin, signed_in
from selfauth.web.body import validate
from selfauth.web.management.rules import CreateRule, UpdateRule
from selfauth.web.management.rules_configs import SetRulesConfig

router = APIRouter(include_in_schema=False)

MAX_RULES = 1000  # one page holds them all: a tenant has a handful
_FIELDS = {"name": "name", "script": "script", "order": "order", "enabled": "enabled"}
NEW_RULE = """function (user, context, callback) {
  // user: the profile; context: this login (context.clientID, context.idToken, ...)
  return callback(null, user, context);
}"""
_NOTICES = {
    "created": "Rule created.",
    "saved": "Rule saved.",
    "deleted": "Rule deleted.",
    "moved": "Order saved.",
    "enabled": "Rule enabled.",
    "disabled": "Rule disabled.",
    "config": "Setting saved.",
    "config-deleted": "Setting deleted.",
}


async def _all(admin: Admin) -> list[Rule]:
    rules, _ = await admin.services.rules.page(enabled=None, stage=None, offset=0, limit=MAX_RULES)
    return rules


def _notice(request: Request) -> str | None:
    return _NOTICES.get(request.query_params.get("done", ""))


async def _list_page(
    request: Request,
    admin: Admin,
    *,
    status: int = 200,
    config_errors: dict[str, str] | None = None,
    config_form: dict[str, str] | None = None,
    problem: str | None = None,
) -> Response:
    return admin_page(
        request,
        admin,
        "rules/list.html",
        title="Rules",
        status=status,
        rules=await _all(admin),
        config_keys=await admin.services.rule_configs.keys(),
        config_errors=config_errors or {},
        config_form=config_form or {"key": ""},
        notice=_notice(request),
        problem=problem,
    )


@router.get("/admin/rules")
async def rules_list(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    return await _list_page(request, admin)


def _rule_form(fields: dict[str, str]) -> dict[str, Any]:
    """The form as the API's body; `order` only when given."""
    body: dict[str, Any] = {
        "name": fields.get("name", "").strip(),
        "script": typed_text(fields.get("script", "")),
        "enabled": fields.get("enabled") == "on",
    }
    order = fields.get("order", "").strip()
    if order:
        body["order"] = int(order) if order.lstrip("-").isdigit() else order
    return body


def _edit_page(
    request: Request,
    admin: Admin,
    *,
    rule: Rule | None,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    position: dict[str, int] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    title = f"Rule {rule.name}" if rule else "New rule"
    return admin_page(
        request,
        admin,
        "rules/edit.html",
        title=title,
        status=status,
        rule=rule,
        form=form,
        errors=errors or {},
        position=position,
        problem=problem,
        notice=_notice(request),
    )


def _failed(
    request: Request, admin: Admin, rule: Rule | None, fields: dict[str, str], exc: SelfauthError
) -> Response:
    errors, problem, position = field_errors(exc, _FIELDS, "script")
    form = {**fields, "enabled": fields.get("enabled") == "on"}
    return _edit_page(
        request,
        admin,
        rule=rule,
        form=form,
        errors=errors,
        position=position,
        problem=problem,
        status=400,
    )


@router.get("/admin/rules/new")
async def rule_new(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    form = {"name": "", "script": NEW_RULE, "enabled": True, "order": ""}
    return _edit_page(request, admin, rule=None, form=form)


@router.post("/admin/rules/new")
async def rule_create(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    fields = await admin.form(request)
    try:
        body = validate(CreateRule, _rule_form(fields))
        rule = await admin.services.rules.create(body.model_dump(exclude_unset=True))
    except SelfauthError as exc:
        return _failed(request, admin, None, fields, exc)
    return RedirectResponse(f"/admin/rules/{rule.id}?done=created", status_code=303)


@router.get("/admin/rules/{rule_id}")
async def rule_edit(rule_id: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    rule = await admin.services.rules.get(check_rule_id(rule_id))
    form = {"name": rule.name, "script": rule.script, "enabled": rule.enabled, "order": rule.order}
    return _edit_page(request, admin, rule=rule, form=form)


@router.post("/admin/rules/{rule_id}")
async def rule_save(rule_id: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    found = admin.services
    rule = await found.rules.get(check_rule_id(rule_id))
    fields = await admin.form(request)
    try:
        body = validate(UpdateRule, _rule_form(fields))
        await found.rules.update(rule.id, body.model_dump(exclude_unset=True))
    except SelfauthError as exc:
        return _failed(request, admin, rule, fields, exc)
    return RedirectResponse(f"/admin/rules/{rule.id}?done=saved", status_code=303)


@router.post("/admin/rules/{rule_id}/enabled")
async def rule_toggle(
    rule_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    found = admin.services
    rule = await found.rules.get(check_rule_id(rule_id))
    fields = await admin.form(request)
    enabled = fields.get("enabled") == "true"
    body = validate(UpdateRule, {"enabled": enabled})
    await found.rules.update(rule.id, body.model_dump(exclude_unset=True))
    done = "enabled" if enabled else "disabled"
    return RedirectResponse(f"/admin/rules?done={done}", status_code=303)


@router.post("/admin/rules/{rule_id}/move")
async def rule_move(rule_id: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    """Swaps the rule with its neighbour in execution order. Rules sharing an order value run
    in an order the numbers do not say, so then every rule is numbered afresh (1, 2, 3...)."""
    found = admin.services
    check_rule_id(rule_id)
    fields = await admin.form(request)
    rules = await _all(admin)
    at = next((i for i, r in enumerate(rules) if r.id == rule_id), None)
    if at is None:
        raise inexistent_rule()
    other = at - 1 if fields.get("direction") == "up" else at + 1
    if 0 <= other < len(rules):
        orders = [r.order for r in rules]
        if len(set(orders)) == len(orders):
            swapped = {rules[at].id: rules[other].order, rules[other].id: rules[at].order}
        else:
            moved = list(rules)
            moved[at], moved[other] = moved[other], moved[at]
            swapped = {r.id: number for number, r in enumerate(moved, start=1)}
        for rule in rules:
            if rule.id in swapped and swapped[rule.id] != rule.order:
                body = validate(UpdateRule, {"order": swapped[rule.id]})
                await found.rules.update(rule.id, body.model_dump(exclude_unset=True))
    return RedirectResponse("/admin/rules?done=moved", status_code=303)


@router.post("/admin/rules/{rule_id}/delete")
async def rule_delete(
    rule_id: str, request: Request, admin: Admin = Depends(signed_in)
) -> Response:
    await admin.form(request)
    await admin.services.rules.delete(check_rule_id(rule_id))
    return RedirectResponse("/admin/rules?done=deleted", status_code=303)


@router.post("/admin/rules-configs")
async def config_set(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    fields = await admin.form(request)
    key = fields.get("key", "").strip()
    try:
        body = validate(SetRulesConfig, {"value": fields.get("value", "")})
        await admin.services.rule_configs.set(key, body.value)
    except SelfauthError as exc:
        # The value is never sent back, not even to the form that typed it.
        errors = {"value" if "on property value" in exc.message else "key": exc.message}
        return await _list_page(
            request, admin, status=400, config_errors=errors, config_form={"key": key}
        )
    return RedirectResponse("/admin/rules?done=config#configuration", status_code=303)


@router.post("/admin/rules-configs/{key}/delete")
async def config_delete(key: str, request: Request, admin: Admin = Depends(signed_in)) -> Response:
    await admin.form(request)
    await admin.services.rule_configs.delete(key)
    return RedirectResponse("/admin/rules?done=config-deleted#configuration", status_code=303)
