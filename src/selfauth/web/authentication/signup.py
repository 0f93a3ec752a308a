"""`POST /dbconnections/signup`: a user creates their own account in a database connection.

Errors use the `{name, code, description, statusCode}` shape that auth0.js and Lock read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.errors import Conflict, Forbidden, InvalidBody, PasswordStrengthError
from selfauth.flows.signup import SignupDenied
from selfauth.web.authentication.token import client_ip
from selfauth.web.body import read_json_object, validate
from selfauth.web.context import Services, services
from selfauth.web.json import JSONResponse
from selfauth.web.ratelimit import per_address
from selfauth.web.request_facts import request_facts

router = APIRouter(dependencies=[Depends(per_address)])


class SignupBody(BaseModel):
    # auth0.js also sends captcha, state and client telemetry: accepted and ignored.
    model_config = ConfigDict(extra="ignore")

    client_id: str = Field(min_length=1)
    connection: str = Field(min_length=1)
    email: str = Field(min_length=1)
    password: str = Field(min_length=1)
    username: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    name: str | None = None
    nickname: str | None = None
    picture: str | None = None
    user_metadata: dict[str, Any] | None = None


def _error(status: int, code: str, description: str, **extra: Any) -> JSONResponse:
    body = {"name": extra.pop("name", "BadRequestError"), "code": code, "description": description}
    body.update(extra, statusCode=status)
    return JSONResponse(body, status_code=status)


@router.post("/dbconnections/signup")
async def signup(request: Request, found: Services = Depends(services)) -> Response:
    try:
        data = await read_json_object(request, found.settings.max_body_bytes)
        body = validate(SignupBody, data)
    except InvalidBody as exc:
        return _error(400, "invalid_signup", exc.message)
    fields = body.model_dump(exclude_none=True)
    client_id = fields.pop("client_id")
    facts = request_facts(request, client_ip(request, trust_forwarded=False), data)
    try:
        user = await found.signup.register(client_id, fields, facts)
    except SignupDenied as exc:
        return _error(400, exc.code, exc.message)
    except Conflict:
        return _error(400, "user_exists", "The user already exists.")
    except PasswordStrengthError as exc:
        connection = await found.connections.by_name(body.connection)
        policy = PasswordPolicy.from_options(connection.options if connection else {}).describe()
        return _error(
            400, "invalid_password", exc.message, name="PasswordStrengthError", policy=policy
        )
    except Forbidden as exc:
        return _error(403, exc.error_code, exc.message, name="ForbiddenError")
    except InvalidBody as exc:
        return _error(400, "invalid_signup", exc.message)
    view: dict[str, Any] = {
        "_id": user.user_id.removeprefix("auth0|"),
        "email": user.email,
        "email_verified": user.email_verified,
    }
    if user.username is not None:
        view["username"] = user.username
    return JSONResponse(view)
