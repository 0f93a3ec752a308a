"""`POST /dbconnections/signup`: a user creates their own account in a database connection.

Errors use the `{name, code, description, statusCode}` shape that auth0.js and Lock read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from selfauth.errors import Conflict, Forbidden, InvalidBody, PasswordStrengthError, SelfauthError
from selfauth.web import openapi
from selfauth.web.authentication.token import client_ip
from selfauth.web.body import read_json_object, validate
from selfauth.web.context import Services, services
from selfauth.web.errors import Shape
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


class SignupRefused(SelfauthError):
    """Auth0's answers to a refused sign-up: 400 (403 for a forbidden one), in the
    Authentication API's shape (`web/errors.py`)."""

    def __init__(
        self,
        message: str,
        code: str,
        *,
        name: str = "BadRequestError",
        status: int = 400,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, error_code=code)
        self.name = name
        self.status_code = status
        self.details = details


@router.post(
    "/dbconnections/signup",
    responses={
        **openapi.returns(200, openapi.OBJECT),
        **openapi.errors(Shape.AUTHENTICATION, 400, 403, 429),
    },
    openapi_extra=openapi.json_body(SignupBody),
)
async def signup(request: Request, found: Services = Depends(services)) -> Response:
    try:
        data = await read_json_object(request, found.settings.max_body_bytes)
        body = validate(SignupBody, data)
    except InvalidBody as exc:
        raise SignupRefused(exc.message, "invalid_signup") from exc
    fields = body.model_dump(exclude_none=True)
    client_id = fields.pop("client_id")
    facts = request_facts(request, client_ip(request, trust_forwarded=False), data)
    try:
        user = await found.signup.register(client_id, fields, facts)
    except Conflict as exc:
        raise SignupRefused("The user already exists.", "user_exists") from exc
    except PasswordStrengthError as exc:
        raise SignupRefused(
            exc.message, "invalid_password", name=exc.name, details={"policy": exc.policy}
        ) from exc
    except Forbidden as exc:
        raise SignupRefused(exc.message, exc.error_code, name=exc.name, status=403) from exc
    except InvalidBody as exc:
        raise SignupRefused(exc.message, "invalid_signup") from exc
    view: dict[str, Any] = {
        "_id": user.user_id.removeprefix("auth0|"),
        "email": user.email,
        "email_verified": user.email_verified,
    }
    if user.username is not None:
        view["username"] = user.username
    return JSONResponse(view)
