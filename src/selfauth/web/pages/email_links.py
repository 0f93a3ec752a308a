"""The pages a verification or password-change link opens (`/u/email-verification`,
`/u/reset-password`): a GET shows a form and spends nothing (mail scanners fetch links), the
form's POST, CSRF-protected, does the change once. Where the ticket names a result URL the
browser goes there with Auth0's `success` and `message`; otherwise a page of ours says what
happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.emails.tickets import TicketKind
from selfauth.domain.users.legacy import ScriptRefused
from selfauth.errors import PasswordStrengthError
from selfauth.flows.email_links import EXPIRED, Followed
from selfauth.web.context import Services, services
from selfauth.web.pages.authorize import (
    browser_key_of,
    csrf_cookie,
    keep_browser_key,
    message_page,
    render_page,
)
from selfauth.web.pages.transaction import csrf_matches, csrf_token
from selfauth.web.ratelimit import per_address

router = APIRouter(dependencies=[Depends(per_address)])

_FORM_LIMIT = 16 * 1024
Follow = Callable[[str], Awaitable[Followed]]


def _ticket_of(request: Request) -> str:
    value = request.query_params.get("ticket", "")
    return value if 0 < len(value) <= 128 else ""


_WHAT = {
    TicketKind.EMAIL_VERIFICATION: "verification",
    TicketKind.PASSWORD_CHANGE: "password change",
    TicketKind.ACCOUNT_UNBLOCK: "unblock",
}


def _expired(kind: TicketKind) -> Response:
    what = _WHAT[kind]
    return message_page(
        "This link has expired",
        f"{EXPIRED} The {what} link is no longer valid: it was used already or is too old.",
        400,
    )


def _finished(followed: Followed, title: str) -> Response:
    if followed.redirect is not None:
        return RedirectResponse(followed.redirect, status_code=303)
    return message_page(title, followed.message, 200, error=False)


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
    found: Services, request: Request, template: str, ticket: str, status: int = 200, **context: str
) -> Response:
    browser_key = browser_key_of(found, request)
    page = render_page(
        template,
        status,
        form_action="'self' https: http:",  # the post may redirect to the result URL
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
    if not ticket or await found.email_links.pending(kind, ticket) is None:
        return _expired(kind)
    return _with_csrf(found, request, template, ticket, title=title)


async def _followed(
    found: Services, request: Request, kind: TicketKind, follow: Follow
) -> Followed | Response:
    """The form's POST: what following its link did, or the page saying why nothing was."""
    form = await _form(request, found)
    if form is None:
        return message_page("This form has expired", "Open the link in the mail again.", 400)
    followed = await follow(form["ticket"])
    return followed if followed.ok else _expired(kind)


@router.get("/u/email-verification")
async def verification_page(request: Request, found: Services = Depends(services)) -> Response:
    return await _confirm_page(
        found,
        request,
        TicketKind.EMAIL_VERIFICATION,
        "email_verification.html",
        "Verify your email",
    )


@router.post("/u/email-verification")
async def verify(request: Request, found: Services = Depends(services)) -> Response:
    links = found.email_links
    try:
        followed = await _followed(
            found, request, TicketKind.EMAIL_VERIFICATION, links.verify_email
        )
    except ScriptRefused as exc:  # a custom database's verify script failed
        return message_page("Your email was not verified", exc.message, 400)
    if not isinstance(followed, Followed):
        return followed
    if followed.user is not None:
        await found.account_mails.welcome(followed.user)
    return _finished(followed, "Email verified")


async def _reset_form(
    found: Services, request: Request, ticket: str, status: int = 200, error: str = ""
) -> Response:
    pending = await found.email_links.pending(TicketKind.PASSWORD_CHANGE, ticket)
    policy = None if pending is None else await found.email_links.policy_for(pending)
    if pending is None or policy is None:
        return _expired(TicketKind.PASSWORD_CHANGE)
    return _with_csrf(
        found,
        request,
        "reset_password.html",
        ticket,
        status,
        title="Change your password",
        policy=f"Passwords need {policy.describe()}.",
        error=error,
    )


@router.get("/u/reset-password")
async def reset_page(request: Request, found: Services = Depends(services)) -> Response:
    ticket = _ticket_of(request)
    if not ticket:
        return _expired(TicketKind.PASSWORD_CHANGE)
    return await _reset_form(found, request, ticket)


@router.post("/u/reset-password")
async def reset(request: Request, found: Services = Depends(services)) -> Response:
    form = await _form(request, found)
    if form is None:
        return message_page("This form has expired", "Open the link in the mail again.", 400)
    ticket, password = form["ticket"], form.get("password", "")
    if password != form.get("confirm", ""):
        return await _reset_form(found, request, ticket, 400, "The passwords do not match.")
    try:
        followed = await found.email_links.reset_password(ticket, password)
    except PasswordStrengthError as exc:
        message = exc.message.removeprefix("PasswordStrengthError: ")
        return await _reset_form(found, request, ticket, 400, message)
    except ScriptRefused as exc:  # a custom database's change_password script failed
        return await _reset_form(found, request, ticket, 400, exc.message)
    if not followed.ok:
        return _expired(TicketKind.PASSWORD_CHANGE)
    return _finished(followed, "Password changed")


@router.get("/u/unblock")
async def unblock_page(request: Request, found: Services = Depends(services)) -> Response:
    return await _confirm_page(
        found, request, TicketKind.ACCOUNT_UNBLOCK, "unblock.html", "Unblock your account"
    )


@router.post("/u/unblock")
async def unblock(request: Request, found: Services = Depends(services)) -> Response:
    links = found.email_links
    followed = await _followed(found, request, TicketKind.ACCOUNT_UNBLOCK, links.unblock)
    if not isinstance(followed, Followed):
        return followed
    return _finished(followed, "Account unblocked")
