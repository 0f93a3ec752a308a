"""The pages a verification or password-change link opens (`/u/email-verification`,
`/u/reset-password`): a GET shows a form and spends nothing (mail scanners fetch links), the
form's POST, CSRF-protected, does the change once. Where the ticket names a result URL the
browser goes there with Auth0's `success` and `message`; otherwise a page of ours says what
happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.emails.tickets import TicketKind
from selfauth.domain.users.legacy import ScriptRefused
from selfauth.errors import PasswordStrengthError
from selfauth.flows.email_links import Followed
from selfauth.flows.tenant_logs import about
from selfauth.hooks.runner import RequestFacts
from selfauth.web.authentication.token import client_ip
from selfauth.web.context import Services, services
from selfauth.web.pages.authorize import (
    browser_key_of,
    csrf_cookie,
    keep_browser_key,
    message_page,
    render_page,
)
from selfauth.web.pages.locale import N_, message_text, request_locale
from selfauth.web.pages.policy_rules import shown_rules
from selfauth.web.pages.transaction import csrf_matches, csrf_token
from selfauth.web.ratelimit import per_address
from selfauth.web.request_facts import request_facts

router = APIRouter(dependencies=[Depends(per_address)])

_FORM_LIMIT = 16 * 1024
Follow = Callable[[str], Awaitable[Followed]]


def _ticket_of(request: Request) -> str:
    value = request.query_params.get("ticket", "")
    return value if 0 < len(value) <= 128 else ""


# flows/email_links.py's EXPIRED ("Access expired."), then what expired.
_EXPIRED = {
    TicketKind.EMAIL_VERIFICATION: N_(
        "Access expired. The verification link is no longer valid: it was used already or is "
        "too old."
    ),
    TicketKind.PASSWORD_CHANGE: N_(
        "Access expired. The password change link is no longer valid: it was used already or "
        "is too old."
    ),
    TicketKind.ACCOUNT_UNBLOCK: N_(
        "Access expired. The unblock link is no longer valid: it was used already or is too old."
    ),
}
_FORM_EXPIRED = N_("This form has expired"), N_("Open the link in the mail again.")


def _expired(kind: TicketKind, locale: str) -> Response:
    return message_page(N_("This link has expired"), _EXPIRED[kind], 400, locale=locale)


async def _locale(found: Services, request: Request, kind: TicketKind, ticket: str) -> str:
    """The page's language: the ticket's user's `user_metadata.lang` first (the user is
    known here), then the browser's."""
    pending = await found.email_links.pending(kind, ticket) if ticket else None
    user = None if pending is None else await found.users.get_or_none(pending.user_id)
    return request_locale(request, {}, None if user is None else user.user_metadata)


def _finished(followed: Followed, title: str, locale: str) -> Response:
    if followed.redirect is not None:
        return RedirectResponse(followed.redirect, status_code=303)
    return message_page(title, followed.message, 200, error=False, locale=locale)


async def _form(request: Request, found: Services) -> dict[str, str] | None:
    """The posted form when its CSRF token is good for its ticket and this browser."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > _FORM_LIMIT:
        return None
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    browser_key = request.cookies.get(csrf_cookie(found))
    ticket = form.get("ticket", "")
    if not csrf_matches(browser_key, ticket, form.get("csrf", ""), found.secrets):
        return None
    return form


def _with_csrf(
    found: Services,
    request: Request,
    template: str,
    ticket: str,
    status: int = 200,
    *,
    locale: str,
    **context: Any,
) -> Response:
    browser_key = browser_key_of(found, request)
    page = render_page(
        template,
        status,
        form_action="'self' https: http:",  # the post may redirect to the result URL
        locale=locale,
        title=context.pop("title"),
        ticket=ticket,
        csrf=csrf_token(browser_key, ticket, found.secrets),
        **context,
    )
    keep_browser_key(page, found, browser_key)
    return page


async def _confirm_page(
    found: Services, request: Request, kind: TicketKind, template: str, title: str
) -> Response:
    """A link's page: its form, while the ticket is good (the GET spends nothing)."""
    ticket = _ticket_of(request)
    locale = await _locale(found, request, kind, ticket)
    if not ticket or await found.email_links.pending(kind, ticket) is None:
        return _expired(kind, locale)
    return _with_csrf(found, request, template, ticket, locale=locale, title=title)


async def _followed(
    found: Services, request: Request, kind: TicketKind, follow: Follow
) -> tuple[Followed | Response, str]:
    """The form's POST: what following its link did, or the page saying why nothing was; and
    the language of the page that follows (read before the ticket is spent)."""
    form = await _form(request, found)
    if form is None:
        locale = request_locale(request, {})
        return message_page(*_FORM_EXPIRED, 400, locale=locale), locale
    locale = await _locale(found, request, kind, form["ticket"])
    followed = await follow(form["ticket"])
    return (followed if followed.ok else _expired(kind, locale)), locale


@router.get("/u/email-verification", include_in_schema=False)
async def verification_page(request: Request, found: Services = Depends(services)) -> Response:
    return await _confirm_page(
        found,
        request,
        TicketKind.EMAIL_VERIFICATION,
        "email_verification.html",
        N_("Verify your email"),
    )


@router.post("/u/email-verification", include_in_schema=False)
async def verify(request: Request, found: Services = Depends(services)) -> Response:
    links = found.email_links
    try:
        followed, locale = await _followed(
            found, request, TicketKind.EMAIL_VERIFICATION, links.verify_email
        )
    except ScriptRefused as exc:  # a custom database's verify script failed
        locale = request_locale(request, {})
        return message_page(N_("Your email was not verified"), exc.message, 400, locale=locale)
    if not isinstance(followed, Followed):
        return followed
    if followed.user is not None:
        facts = request_facts(request, client_ip(request, trust_forwarded=False))
        found.logs.record("sv", **about(user=followed.user, facts=facts))  # the link was used
        await found.account_mails.welcome(followed.user)
    return _finished(followed, N_("Email verified"), locale)


async def _reset_form(
    found: Services, request: Request, ticket: str, status: int = 200, error: str = ""
) -> Response:
    locale = await _locale(found, request, TicketKind.PASSWORD_CHANGE, ticket)
    pending = await found.email_links.pending(TicketKind.PASSWORD_CHANGE, ticket)
    policy = None if pending is None else await found.email_links.policy_for(pending)
    if pending is None or policy is None:
        return _expired(TicketKind.PASSWORD_CHANGE, locale)
    return _with_csrf(
        found,
        request,
        "reset_password.html",
        ticket,
        status,
        locale=locale,
        title=N_("Change your password"),
        rules=shown_rules(locale, policy),
        error=message_text(locale, error) if error else "",
    )


@router.get("/u/reset-password", include_in_schema=False)
async def reset_page(request: Request, found: Services = Depends(services)) -> Response:
    ticket = _ticket_of(request)
    if not ticket:
        return _expired(TicketKind.PASSWORD_CHANGE, request_locale(request, {}))
    return await _reset_form(found, request, ticket)


@router.post("/u/reset-password", include_in_schema=False)
async def reset(request: Request, found: Services = Depends(services)) -> Response:
    form = await _form(request, found)
    if form is None:
        return message_page(*_FORM_EXPIRED, 400, locale=request_locale(request, {}))
    ticket, password = form["ticket"], form.get("password", "")
    locale = await _locale(found, request, TicketKind.PASSWORD_CHANGE, ticket)
    if password != form.get("confirm", ""):
        return await _reset_form(found, request, ticket, 400, N_("The passwords do not match."))
    facts = request_facts(request, client_ip(request, trust_forwarded=False))
    try:
        followed = await found.email_links.reset_password(ticket, password)
    except PasswordStrengthError as exc:
        message = exc.message.removeprefix("PasswordStrengthError: ")
        await _refused_change(found, ticket, facts, message)
        return await _reset_form(found, request, ticket, 400, message)
    except ScriptRefused as exc:  # a custom database's change_password script failed
        await _refused_change(found, ticket, facts, exc.message)
        return await _reset_form(found, request, ticket, 400, exc.message)
    if not followed.ok:
        await _refused_change(found, ticket, facts, followed.message)
        return _expired(TicketKind.PASSWORD_CHANGE, locale)
    found.logs.record("scp", **about(user=followed.user, facts=facts))
    return _finished(followed, N_("Password changed"), locale)


async def _refused_change(found: Services, ticket: str, facts: RequestFacts, message: str) -> None:
    """`fcp`: the password was not changed (too weak, the script failed, the link spent or
    expired); the ticket's user when it is still good."""
    pending = await found.email_links.pending(TicketKind.PASSWORD_CHANGE, ticket)
    user = None if pending is None else await found.users.get_or_none(pending.user_id)
    details = {"error": {"message": message}}
    found.logs.record("fcp", details=details, **about(user=user, facts=facts))


@router.get("/u/unblock", include_in_schema=False)
async def unblock_page(request: Request, found: Services = Depends(services)) -> Response:
    return await _confirm_page(
        found, request, TicketKind.ACCOUNT_UNBLOCK, "unblock.html", N_("Unblock your account")
    )


@router.post("/u/unblock", include_in_schema=False)
async def unblock(request: Request, found: Services = Depends(services)) -> Response:
    links = found.email_links
    followed, locale = await _followed(found, request, TicketKind.ACCOUNT_UNBLOCK, links.unblock)
    if not isinstance(followed, Followed):
        return followed
    return _finished(followed, N_("Account unblocked"), locale)
