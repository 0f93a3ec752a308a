"""`POST /dbconnections/change_password`: a user who forgot their password asks for a reset
link (Lock's and auth0.js's "Don't remember your password?", the login page's link).

The answer is the same whether or not the address belongs to a user, so the endpoint tells
no one who has an account; the mail goes only to a user of that connection. Errors use the
`{name, code, description, statusCode}` shape auth0.js reads."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse, Response

from selfauth.errors import InvalidBody
from selfauth.web import openapi
from selfauth.web.authentication.signup import SignupRefused
from selfauth.web.authentication.token import client_ip
from selfauth.web.body import read_json_object, validate
from selfauth.web.context import Services, services
from selfauth.web.errors import Shape
from selfauth.web.pages.authorize import RESET_SENT
from selfauth.web.ratelimit import per_address
from selfauth.web.request_facts import request_facts

router = APIRouter(dependencies=[Depends(per_address)])

SENT = RESET_SENT


class ChangePasswordBody(BaseModel):
    # auth0.js also sends captcha and telemetry: accepted and ignored.
    model_config = ConfigDict(extra="ignore")

    client_id: str = Field(min_length=1)
    email: str = Field(min_length=1, max_length=254)
    connection: str = Field(min_length=1)


@router.post(
    "/dbconnections/change_password",
    responses={
        **openapi.html(200, "The mail is on its way, if the address has an account"),
        **openapi.errors(Shape.AUTHENTICATION, 400, 403, 429),
    },
    openapi_extra=openapi.json_body(ChangePasswordBody),
)
async def change_password(request: Request, found: Services = Depends(services)) -> Response:
    try:
        body = validate(
            ChangePasswordBody, await read_json_object(request, found.settings.max_body_bytes)
        )
    except InvalidBody as exc:
        raise SignupRefused(exc.message, "invalid_request") from exc
    client = await found.clients.find(body.client_id)
    connection = await found.connections.by_name(body.connection)
    if client is None or connection is None or not connection.is_database:
        raise SignupRefused("Unknown database connection or client.", "invalid_request")
    if client.client_id not in connection.enabled_clients:
        raise SignupRefused(
            f"The connection {connection.name} is not enabled for this client.",
            "unauthorized_client",
            status=403,
        )
    facts = request_facts(request, client_ip(request, trust_forwarded=False))
    await found.account_mails.password_reset_requested(
        body.email, connection, client.client_id, facts
    )
    return HTMLResponse(SENT, headers={"Cache-Control": "no-store"})
