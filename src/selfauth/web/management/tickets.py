"""`/api/v2/tickets/email-verification` and `/api/v2/tickets/password-change`: links an
administrator hands a user (or sends by other means), the same links the mails carry."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from selfauth.domain.emails.ticket_bodies import EmailVerificationTicket, PasswordChangeTicket
from selfauth.domain.emails.tickets import TicketKind
from selfauth.domain.users.model import User
from selfauth.errors import InvalidBody, NotFound, OperationNotSupported
from selfauth.web import openapi
from selfauth.web.body import read_json_object, validate
from selfauth.web.json import JSONResponse
from selfauth.web.security import Caller, require

router = APIRouter()


async def _checked(caller: Caller, body: EmailVerificationTicket | PasswordChangeTicket) -> None:
    """What both tickets refuse: organizations (none here), `result_url` beside `client_id`
    (Auth0's rule), an unknown client (404 inexistent_client)."""
    if body.organization_id is not None:
        raise OperationNotSupported("Organizations are not supported.")
    if body.result_url is not None and body.client_id is not None:
        raise InvalidBody(
            "The result_url parameter cannot be used together with client_id or organization_id."
        )
    if body.client_id is not None:
        await caller.services.clients.get(body.client_id)


@router.post(
    "/tickets/email-verification",
    status_code=201,
    responses=openapi.management(404, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(EmailVerificationTicket),
)
async def email_verification(
    request: Request, caller: Caller = Depends(require("create:user_tickets"))
) -> Response:
    found = caller.services
    body = validate(
        EmailVerificationTicket, await read_json_object(request, found.settings.max_body_bytes)
    )
    await _checked(caller, body)
    user = await found.users.get(body.user_id)  # 404 inexistent_user
    if not user.email:
        raise InvalidBody("The user does not have an email address.")
    link = found.email_links.new_link(
        TicketKind.EMAIL_VERIFICATION,
        user,
        client_id=body.client_id,
        result_url=body.result_url,
        lifetime_seconds=body.ttl_sec or None,
        include_email_in_redirect=body.includeEmailInRedirect is not False,
    )
    return JSONResponse({"ticket": await found.email_links.store(link)}, status_code=201)


async def _password_change_user(caller: Caller, body: PasswordChangeTicket) -> User:
    found = caller.services
    if body.user_id is not None:
        if body.connection_id is not None or body.email is not None:
            raise InvalidBody("Use either user_id, or connection_id and email.")
        return await found.users.get(body.user_id)
    if body.connection_id is None or body.email is None:
        raise InvalidBody("Either user_id, or connection_id and email, are required.")
    matching = await found.users.by_email_in(body.connection_id, body.email)
    if not matching:
        raise NotFound("The user does not exist.", error_code="inexistent_user")
    return matching[0]


@router.post(
    "/tickets/password-change",
    status_code=201,
    responses=openapi.management(404, ok=(201, openapi.OBJECT)),
    openapi_extra=openapi.json_body(PasswordChangeTicket),
)
async def password_change(
    request: Request, caller: Caller = Depends(require("create:user_tickets"))
) -> Response:
    found = caller.services
    body = validate(
        PasswordChangeTicket, await read_json_object(request, found.settings.max_body_bytes)
    )
    await _checked(caller, body)
    user = await _password_change_user(caller, body)
    connection = await found.connections.get(user.connection_id)
    if not connection.is_database:
        raise InvalidBody("The user's connection does not hold passwords.")
    link = found.email_links.new_link(
        TicketKind.PASSWORD_CHANGE,
        user,
        client_id=body.client_id,
        result_url=body.result_url,
        lifetime_seconds=body.ttl_sec or None,
        include_email_in_redirect=body.includeEmailInRedirect is not False,
        mark_email_as_verified=body.mark_email_as_verified is True,
    )
    return JSONResponse({"ticket": await found.email_links.store(link)}, status_code=201)
