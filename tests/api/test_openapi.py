"""`/openapi.json` says what each operation takes and answers, and the server agrees.

Each operation is called over HTTP as the document describes it, with the failures that are
common to all (no token, a malformed header, a token without the scope, a malformed body, an
identifier that names nothing); whatever comes back must be declared, in the API's shape.
These run on a server of their own: probing every operation rotates the signing keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis

from tests.support.api import DB, Api
from tests.support.server import RunningServer, serving

METHODS = ("get", "put", "post", "patch", "delete")
WRITES = ("put", "post", "patch")
MANAGEMENT = "/api/v2/"
# A scope the Management API knows but no operation accepts: its token is refused everywhere.
NO_OPERATION_ACCEPTS = "read:users_app_metadata"
# What a handler says of a body it could not read, in each API's words.
ABOUT_THE_BODY = re.compile(r"JSON|payload|body|multipart", re.IGNORECASE)

Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("openapi")) as running:
        yield running


@pytest.fixture(scope="module")
def document(probed: RunningServer) -> dict[str, Any]:
    response = httpx.get(f"{probed.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


@pytest.fixture(scope="module")
def admin(probed: RunningServer) -> Api:
    return Api(probed, probed.admin_token())


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


# Identifiers of the right form where one is checked before anything else (rules').
NOTHING = {"rule_id": "rul_0000000000000000"}


def concrete(path: str) -> str:
    """The path with each parameter naming nothing that exists."""
    return re.sub(r"\{([^}]+)\}", lambda m: NOTHING.get(m.group(1), "probe-0000000000000000"), path)


def error_text(response: httpx.Response) -> str:
    """The message of an error in any of the three shapes (or the body as it is)."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    if not isinstance(body, dict):
        return response.text
    for key in ("message", "error_description", "description"):
        if isinstance(body.get(key), str):
            return str(body[key])
    return response.text


def assert_declared(
    document: dict[str, Any], path: str, method: str, response: httpx.Response
) -> None:
    """The status is declared for the operation, with the response's media type, and the
    body matches the declared schema."""
    where = f"{method.upper()} {path} -> {response.status_code}: {response.text[:200]}"
    declared = document["paths"][path][method]["responses"].get(str(response.status_code))
    assert declared is not None, f"undeclared status: {where}"
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if not response.content:
        return
    content = declared.get("content", {})
    assert media_type in content, f"undeclared media type {media_type}: {where}"
    if media_type == "application/json":
        schema = {**content[media_type]["schema"], "components": document["components"]}
        errors = [
            e.message for e in jsonschema_rs.validator_for(schema).iter_errors(response.json())
        ]
        assert not errors, f"{where}: {errors}"


def test_the_document_is_valid_openapi_and_every_reference_resolves(
    document: dict[str, Any],
) -> None:
    assert document["openapi"].startswith("3.1")
    loaded = schemathesis.openapi.from_dict(document)
    loaded.validate()  # against the OpenAPI 3.1 schema
    count = 0
    for result in loaded.get_all_operations():
        result.ok()  # raises on a reference that does not resolve
        count += 1
    assert count == sum(1 for _ in operations(document)) > 100


def test_the_validator_refuses_a_broken_document(document: dict[str, Any]) -> None:
    # The check above can fail: a document whose operation answers nothing is refused.
    path, method, _ = next(operations(document))
    broken = {**document, "paths": {path: {method: {"responses": []}}}}
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_no_operation_declares_a_422(document: dict[str, Any]) -> None:
    # web/errors.py answers a request FastAPI could not read with a 400 in the API's shape.
    declaring = [f"{m} {p}" for p, m, op in operations(document) if "422" in op["responses"]]
    assert declaring == []
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_a_malformed_query_is_a_declared_400(document: dict[str, Any], admin: Api) -> None:
    response = admin.get("/api/v2/users", per_page="many")
    assert response.status_code == 400
    assert_declared(document, "/api/v2/users", "get", response)


def test_every_operation_that_reads_a_body_declares_it_and_no_other(
    document: dict[str, Any], admin: Api
) -> None:
    reads, declares = set(), set()
    for path, method, operation in operations(document):
        if method not in WRITES:
            continue
        response = admin.http.request(
            method.upper(),
            concrete(path),
            content=b'{"unclosed": ',
            headers={"content-type": "application/json"},
        )
        name = f"{method.upper()} {path}"
        if response.status_code == 400 and ABOUT_THE_BODY.search(error_text(response)):
            reads.add(name)
        if "requestBody" in operation:
            declares.add(name)
            assert_declared(document, path, method, response)
    assert reads == declares
    assert len(reads) >= 40  # the probe still finds them


def test_every_management_operation_declares_its_authentication_errors(
    document: dict[str, Any], probed: RunningServer, admin: Api
) -> None:
    unscoped = admin.with_scopes(NO_OPERATION_ACCEPTS)
    calls = {
        401: {},
        400: {"authorization": "Basic dXNlcjpwYXNz"},  # not a bearer token
        403: dict(unscoped.http.headers),
    }
    checked = 0
    for path, method, operation in operations(document):
        if not path.startswith(MANAGEMENT):
            continue
        assert operation["security"] == [{"bearerAuth": []}]
        assert "429" in operation["responses"]  # every one is charged to the caller's limit
        for status, headers in calls.items():
            response = httpx.request(
                method.upper(), f"{probed.base_url}{concrete(path)}", headers=headers, timeout=10
            )
            assert response.status_code == status, (method, path, response.text)
            assert_declared(document, path, method, response)
            checked += 1
    assert checked > 250


def test_an_identifier_that_names_nothing_gets_a_declared_answer(
    document: dict[str, Any], admin: Api
) -> None:
    """Every operation with a path parameter, called on identifiers that name nothing: a 404
    where it answers so (declared), a 400 for a malformed identifier, or Auth0's 204 for a
    deletion of what is already gone."""
    found = set()
    for path, method, _ in operations(document):
        if "{" not in path:
            continue
        kwargs: dict[str, Any] = {"json": {}} if method in WRITES else {}
        response = admin.http.request(method.upper(), concrete(path), **kwargs)
        assert response.status_code < 500, (method, path, response.text)
        assert_declared(document, path, method, response)
        found.add(response.status_code)
    assert 404 in found


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/v2/rules",
            {"name": "openapi-twice", "script": "function (u, c, cb) { cb(null, u, c); }"},
        ),
        ("/api/v2/resource-servers", {"name": "twice", "identifier": "https://twice.example"}),
        ("/api/v2/connections", {"name": "openapi-twice", "strategy": "auth0"}),
    ],
)
def test_a_conflict_is_a_declared_409(
    document: dict[str, Any], admin: Api, path: str, body: dict[str, Any]
) -> None:
    assert admin.post(path, body).status_code == 201
    again = admin.post(path, body)
    assert again.status_code == 409, again.text
    assert_declared(document, path, "post", again)


def test_deleting_a_bound_action_is_a_declared_409(document: dict[str, Any], admin: Api) -> None:
    actions = "/api/v2/actions/actions"
    created = admin.post(
        actions,
        {
            "name": "openapi-bound",
            "supported_triggers": [{"id": "post-login", "version": "v3"}],
            "code": "exports.onExecutePostLogin = async (event, api) => {};",
        },
    )
    assert created.status_code == 201, created.text
    action_id = created.json()["id"]
    assert admin.post(f"{actions}/{action_id}/deploy").status_code == 200
    bindings = {"bindings": [{"ref": {"type": "action_id", "value": action_id}}]}
    assert admin.patch("/api/v2/actions/triggers/post-login/bindings", bindings).status_code == 200
    refused = admin.delete(f"{actions}/{action_id}")
    assert refused.status_code == 409, refused.text
    assert_declared(document, actions + "/{action_id}", "delete", refused)


def test_the_authentication_api_declares_its_errors_in_its_shapes(
    document: dict[str, Any], probed: RunningServer
) -> None:
    http = httpx.Client(base_url=probed.base_url, timeout=10)
    answers = {
        ("/oauth/token", "post"): http.post("/oauth/token", data={"grant_type": "password"}),
        ("/oauth/token", "post", 401): http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
        ),
        ("/oauth/revoke", "post"): http.post("/oauth/revoke", data={"token": "x"}),
        ("/userinfo", "get"): http.get("/userinfo"),
        ("/dbconnections/signup", "post"): http.post("/dbconnections/signup", json={}),
        # An existing user is Auth0's 400 user_exists here, never a 409.
        ("/dbconnections/signup", "post", 403): http.post(
            "/dbconnections/signup",
            json={"client_id": "x", "connection": DB, "email": "a@example.com", "password": "x"},
        ),
        ("/dbconnections/change_password", "post"): http.post(
            "/dbconnections/change_password", json={}
        ),
        ("/co/authenticate", "post"): http.post("/co/authenticate", json={}),
        ("/client/{client_id}.js", "get"): http.get("/client/nobody.js"),
        ("/authorize", "get"): http.get("/authorize"),
        ("/v2/logout", "get"): http.get("/v2/logout", params={"returnTo": "https://evil.example"}),
    }
    for (path, method, *_), response in answers.items():
        assert 400 <= response.status_code < 500, (path, response.text)
        assert_declared(document, path, method, response)
