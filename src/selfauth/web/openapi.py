"""`/openapi.json`: what each operation takes and answers, errors included.

Handlers read their bodies by hand (`web/body.py`: size limit, Auth0-worded errors), so
FastAPI sees no body and no model. The route decorators say it instead, with the helpers
below: `json_body(Model)` (the model the handler validates with) or `form_or_json(schema)`
in `openapi_extra`, and `errors(...)` (each status in the API's wire shape) in `responses`.
`document(app)` builds the document from them and adds what holds for every operation:

- the three error shapes (`web/errors.py`) as components;
- the bearer scheme, required by every Management API operation;
- no 422: FastAPI declares it for any route with a parameter, but `web/errors.py` answers
  a request FastAPI could not read with a 400 in the API's shape;
- 413 for each operation that takes a body (`SELFAUTH_MAX_BODY_BYTES`).
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, Final, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from selfauth.web.errors import Shape, shape_of

Schema = dict[str, Any]
Responses = dict[int | str, dict[str, Any]]

MANAGEMENT_PREFIX = "/api/v2/"
BEARER = "bearerAuth"
VALIDATION: Final[Literal["validation"]] = "validation"  # bodies are read, not written

# The error bodies, as `web/errors.py` writes them. Further keys may follow (a script's
# `line` and `column`), so none of them closes its properties.
_ERROR_SCHEMAS: dict[Shape, tuple[str, Schema]] = {
    Shape.MANAGEMENT: (
        "ManagementError",
        {
            "type": "object",
            "description": "The Management API's error: `{statusCode, error, message, errorCode}`.",
            "required": ["statusCode", "error", "message"],
            "properties": {
                "statusCode": {"type": "integer"},
                "error": {"type": "string", "description": "The status's reason phrase."},
                "message": {"type": "string"},
                "errorCode": {"type": "string"},
            },
        },
    ),
    Shape.OAUTH: (
        "OAuthError",
        {
            "type": "object",
            "description": "RFC 6749 5.2's error: `{error, error_description}`.",
            "required": ["error", "error_description"],
            "properties": {
                "error": {"type": "string"},
                "error_description": {"type": "string"},
            },
        },
    ),
    Shape.AUTHENTICATION: (
        "AuthenticationError",
        {
            "type": "object",
            "description": (
                "The Authentication API's error that auth0.js and Lock read: "
                "`{name, code, description, statusCode}`."
            ),
            "required": ["name", "code", "description", "statusCode"],
            "properties": {
                "name": {"type": "string"},
                "code": {"type": "string"},
                "description": {"type": "string"},
                "statusCode": {"type": "integer"},
            },
        },
    ),
}

_WHY: dict[int, str] = {
    400: "The body, query or a header is invalid",
    401: "No valid credentials: the token or the client's authentication",
    403: "The credentials do not allow this",
    404: "No such resource",
    409: "It conflicts with what exists",
    413: "The body is larger than SELFAUTH_MAX_BODY_BYTES",
    429: "Too many requests: the rate limit was reached",
    503: "A part it needs is unavailable (the database full or away): retry after Retry-After",
}


def error_schema(shape: Shape) -> Schema:
    return {"$ref": f"#/components/schemas/{_ERROR_SCHEMAS[shape][0]}"}


def errors(shape: Shape, *statuses: int) -> Responses:
    """`responses=` for error statuses, each in `shape`."""
    return {
        status: {
            "description": _WHY.get(status, HTTPStatus(status).phrase),
            "content": {"application/json": {"schema": error_schema(shape)}},
        }
        for status in statuses
    }


def management(*statuses: int, ok: tuple[int, Schema] | None = None) -> Responses:
    """`responses=` of a Management API operation: its success answer's schema (`ok`), and
    the errors it sends beyond those every operation there may send (`MANAGEMENT_COMMON`)."""
    return {**(returns(*ok) if ok else {}), **errors(Shape.MANAGEMENT, *statuses)}


# Every Management API operation checks the bearer token (400 for a malformed header, 401,
# 403 without a scope it accepts), charges the caller's rate limit (429), and needs a database
# connection (503 when none can be had: storage/database.py).
MANAGEMENT_COMMON = management(400, 401, 403, 429, 503)


def returns(status: int, schema: Schema, description: str = "Success") -> Responses:
    """A success answer's JSON schema."""
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def html(status: int, description: str) -> Responses:
    """A page (a browser's answer), not an API's JSON."""
    return {
        status: {
            "description": description,
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    }


def html_or_oauth_error(status: int, description: str) -> Responses:
    """An error page; or, for a request refused before its page is drawn (a URL holding NUL,
    `web/guards.py`), the OAuth error."""
    answer = html(status, description)
    answer[status]["content"]["application/json"] = {"schema": error_schema(Shape.OAUTH)}
    return answer


def redirect(description: str, status: int = 302) -> Responses:
    return {
        status: {
            "description": description,
            "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
        }
    }


# The query parameters handlers read by hand (`web/query.py`), by type; others are strings.
_QUERY_TYPES: dict[str, Schema] = {
    # Empty is the default, for these as for the booleans (`web/query.py`).
    "page": {"anyOf": [{"type": "integer", "minimum": 0}, {"const": ""}]},
    "per_page": {"anyOf": [{"type": "integer", "minimum": 1}, {"const": ""}]},
    "take": {"anyOf": [{"type": "integer", "minimum": 1}, {"const": ""}]},
    # The booleans: true or false (1 or 0), any case.
    **{
        name: {"anyOf": [{"type": "boolean"}, {"const": ""}]}
        for name in (
            "include_totals",
            "include_fields",
            "deployed",
            "installed",
            "force",
            "enabled",
            "allow_any_organization",
        )
    },
}
PAGING = ("page", "per_page", "include_totals")
FIELDS = ("fields", "include_fields")


def query(*names: str, required: Iterable[str] = ()) -> Schema:
    """`openapi_extra=` naming the query parameters a handler reads by hand."""
    needed = tuple(required)
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": name in needed,
                "schema": _QUERY_TYPES.get(name, {"type": "string"}),
            }
            for name in dict.fromkeys((*needed, *names))
        ]
    }


IF_MATCH: Schema = {
    "parameters": [
        {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": "Only while the resource still has this ETag (from its GET); "
            "otherwise 412. Our addition to Auth0's API.",
            "schema": {"type": "string"},
        }
    ]
}


OBJECT: Schema = {"type": "object"}
ARRAY: Schema = {"type": "array"}


def listing(key: str, item: Schema | None = None) -> Schema:
    """A list endpoint's answer: the array, or with `include_totals=true` Auth0's object."""
    items = item or OBJECT
    return {
        "anyOf": [
            {"type": "array", "items": items},
            {
                "type": "object",
                "required": [key],
                "properties": {
                    "start": {"type": "integer"},
                    "limit": {"type": "integer"},
                    "length": {"type": "integer"},
                    "total": {"type": "integer"},
                    key: {"type": "array", "items": items},
                },
            },
        ]
    }


# The body models the decorators name, by their schema's name in `components/schemas`.
_MODELS: dict[str, type[BaseModel]] = {}


def _register(model: type[BaseModel], name: str | None) -> str:
    name = name or model.__name__
    known = _MODELS.setdefault(name, model)
    if known is not model:
        raise ValueError(f"two body models are named {name}: pass json_body(..., name=)")
    return name


def json_body(model: type[BaseModel], *, name: str | None = None) -> Schema:
    """`openapi_extra=` for a JSON body validated with `model` (`web/body.py`'s `validate`).
    Required when the model requires a property; an empty body reads as `{}`."""
    ref = {"$ref": f"#/components/schemas/{_register(model, name)}"}
    required = any(field.is_required() for field in model.model_fields.values())
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": ref}}}}


def json_object(description: str, *, required: bool = False) -> Schema:
    """`openapi_extra=` for a JSON object body that its service checks key by key (an empty
    body reads as `{}`, `web/body.py`)."""
    schema = {"type": "object", "description": description}
    return {
        "requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}
    }


def form_or_json(schema: Schema) -> Schema:
    """`openapi_extra=` for a body sent as a form or as JSON (the token endpoint's)."""
    content = {
        kind: {"schema": schema}
        for kind in ("application/x-www-form-urlencoded", "application/json")
    }
    return {"requestBody": {"required": True, "content": content}}


# `POST /api/v2/jobs/users-imports`: a multipart form with the users' JSON file.
USERS_IMPORT: Schema = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["users", "connection_id"],
                    "properties": {
                        "users": {
                            "type": "string",
                            "format": "binary",
                            "description": "A JSON array of users",
                        },
                        "connection_id": {"type": "string"},
                        "upsert": {"type": "boolean"},
                        "external_id": {"type": "string"},
                        "send_completion_email": {"type": "boolean"},
                    },
                }
            }
        },
    }
}

# `PUT /api/v2/branding/templates/universal-login`: the page template as Auth0 takes it.
PAGE_TEMPLATE: Schema = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "required": ["template"],
                            "properties": {"template": {"type": "string"}},
                            "additionalProperties": False,
                        },
                    ]
                }
            },
            "text/html": {"schema": {"type": "string"}},
        },
    }
}


def _operations(paths: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for path, item in paths.items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield path, operation


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, built once."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    built = get_openapi(
        title=app.title,
        version=app.version,
        description=(
            "selfauth speaks Auth0's wire protocol: the Management API under `/api/v2` "
            "(a bearer token from `/oauth/token`'s client_credentials grant), the "
            "Authentication API and OpenID Connect."
        ),
        routes=app.routes,
    )
    components = built.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(dict(_ERROR_SCHEMAS.values()))
    schemas.update(_body_schemas())
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token for the Management API's audience.",
        }
    }
    for path, operation in _operations(built["paths"]):
        responses: dict[str, Any] = operation["responses"]
        responses.pop("422", None)
        if "requestBody" in operation:
            responses.update({str(k): v for k, v in errors(shape_of(path), 413).items()})
        if path.startswith(MANAGEMENT_PREFIX):
            operation["security"] = [{BEARER: []}]
    app.openapi_schema = built
    return built


def _body_schemas() -> dict[str, Any]:
    """The body models' JSON schemas, and those of the models they hold."""
    if not _MODELS:
        return {}
    refs, found = models_json_schema(
        [(model, VALIDATION) for model in _MODELS.values()],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = dict(found.get("$defs", {}))
    for name, model in _MODELS.items():
        ref = refs[(model, VALIDATION)]
        if ref.get("$ref") != f"#/components/schemas/{name}":
            # pydantic named it otherwise (two models of one name): point ours at it.
            schemas[name] = ref
    return schemas


def install(app: FastAPI) -> None:
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
