"""A legacy user store for the custom database tests: a small real HTTP service (Starlette on
uvicorn, in a thread of the test process) over its own SQLite table of users whose passwords
are bcrypt or salted SHA-256 hashes, and the custom database scripts, written in the shape of
Auth0's templates ("Request with Basic Auth" and friends), that reach it with `request`.

The service can be stopped and started again on the same port, and made slow (`slow_seconds`)
to show what a login does when its store is down or does not answer in time. `calls` records
which endpoint each request reached, so a test can tell whether a login went to the store;
`created` what each `create` was sent (all but the password)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.server import free_port

_SCHEMA = """CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT UNIQUE NOT NULL,
  nickname TEXT,
  hash TEXT NOT NULL,
  email_verified INTEGER NOT NULL DEFAULT 0,
  plan TEXT,
  language TEXT
)"""


def sha256_hash(password: str) -> str:
    """`sha256$salt$hex`, the kind of hash an old application kept."""
    salt = secrets.token_hex(8)
    return f"sha256${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"


def _matches(password: str, stored: str) -> bool:
    if stored.startswith("sha256$"):
        _, salt, digest = stored.split("$")
        computed = hashlib.sha256((salt + password).encode()).hexdigest()
        return secrets.compare_digest(computed, digest)
    return bcrypt.checkpw(password.encode(), stored.encode())


class LegacyUsers:
    """The service; `base_url` is what the scripts' `configuration.BASE_URL` names."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "legacy.db"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"
        self.slow_seconds = 0.0
        self.calls: list[str] = []
        self.created: list[dict[str, Any]] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        with self._db() as db:
            db.execute(_SCHEMA)

    # --- the table ------------------------------------------------------------------------

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(
        self,
        email: str,
        password: str,
        *,
        sha256: bool = False,
        plan: str | None = None,
        language: str | None = None,
    ) -> int:
        """A user of the old application; its id."""
        stored = (
            sha256_hash(password)
            if sha256
            else bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
        )
        # Ids no other service of the session hands out: selfauth's user_id is `auth0|{id}`.
        user_id = secrets.randbelow(10**12) + 10**12
        with self._db() as db:
            db.execute(
                "INSERT INTO users (id, email, nickname, hash, plan, language)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, email, email.split("@")[0], stored, plan, language),
            )
        return user_id

    def row(self, email: str) -> dict[str, Any] | None:
        with self._db() as db:
            found = db.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()
        return None if found is None else dict(found)

    def checks(self, email: str, password: str) -> bool:
        found = self.row(email)
        return found is not None and _matches(password, found["hash"])

    # --- the HTTP service -----------------------------------------------------------------

    def _profile(self, row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "id": row["id"],
            "user_id": row["id"],
            "email": row["email"],
            "nickname": row["nickname"],
            "email_verified": bool(row["email_verified"]),
            "user_metadata": {},
            "app_metadata": {},
        }
        if row["language"]:
            profile["user_metadata"]["language"] = row["language"]
        if row["plan"]:
            profile["app_metadata"]["plan"] = row["plan"]
        return profile

    async def _enter(self, name: str) -> None:
        self.calls.append(name)
        if self.slow_seconds:
            await asyncio.sleep(self.slow_seconds)

    async def _login(self, request: Request) -> Response:
        """GET /profile with HTTP Basic credentials: the user's profile, or 401."""
        await self._enter("login")
        header = request.headers.get("authorization", "")
        try:
            email, password = base64.b64decode(header.removeprefix("Basic ")).decode().split(":", 1)
        except ValueError:
            return Response(status_code=401)
        found = self.row(email.lower())
        if found is None or not _matches(password, found["hash"]):
            return Response(status_code=401)
        return JSONResponse(self._profile(found))

    async def _get_user(self, request: Request) -> Response:
        await self._enter("get_user")
        found = self.row(request.query_params.get("email", "").lower())
        return Response(status_code=404) if found is None else JSONResponse(self._profile(found))

    async def _stored_hash(self, request: Request) -> Response:
        """GET /users/hash?email=: the row with its hash, as a SQL query would give it to
        Auth0's "MySQL with bcrypt" template."""
        await self._enter("stored_hash")
        found = self.row(request.query_params.get("email", "").lower())
        if found is None:
            return Response(status_code=404)
        return JSONResponse({**self._profile(found), "hash": found["hash"]})

    async def _create(self, request: Request) -> Response:
        await self._enter("create")
        body = await request.json()
        self.created.append({key: value for key, value in body.items() if key != "password"})
        if self.row(body["email"]) is not None:
            return JSONResponse({"error": "exists"}, status_code=409)
        self.add(body["email"], body["password"], language=body.get("language"))
        return Response(status_code=201)

    async def _change_password(self, request: Request) -> Response:
        await self._enter("change_password")
        body = await request.json()
        hashed = bcrypt.hashpw(body["password"].encode(), bcrypt.gensalt(4)).decode()
        with self._db() as db:
            changed = db.execute(
                "UPDATE users SET hash = ? WHERE email = ?", (hashed, body["email"])
            ).rowcount
        return Response(status_code=204 if changed else 404)

    async def _verify(self, request: Request) -> Response:
        await self._enter("verify")
        body = await request.json()
        with self._db() as db:
            changed = db.execute(
                "UPDATE users SET email_verified = 1 WHERE email = ?", (body["email"],)
            ).rowcount
        return Response(status_code=204 if changed else 404)

    async def _delete(self, request: Request) -> Response:
        await self._enter("delete")
        with self._db() as db:
            db.execute("DELETE FROM users WHERE id = ?", (int(request.path_params["id"]),))
        return Response(status_code=204)

    async def _change_email(self, request: Request) -> Response:
        await self._enter("change_email")
        body = await request.json()
        with self._db() as db:
            changed = db.execute(
                "UPDATE users SET email = ?, email_verified = ? WHERE email = ?",
                (body["new_email"], int(bool(body.get("verified"))), body["email"]),
            ).rowcount
        return Response(status_code=204 if changed else 404)

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/profile", self._login),
                Route("/users", self._get_user, methods=["GET"]),
                Route("/users/hash", self._stored_hash, methods=["GET"]),
                Route("/users", self._create, methods=["POST"]),
                Route("/users/password", self._change_password, methods=["PUT"]),
                Route("/users/verify", self._verify, methods=["POST"]),
                Route("/users/email", self._change_email, methods=["PUT"]),
                Route("/users/{id}", self._delete, methods=["DELETE"]),
            ]
        )

    def start(self) -> None:
        config = uvicorn.Config(
            self._app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._server.started:
                return
            time.sleep(0.02)
        raise RuntimeError("the legacy user service did not start")

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def reachable(self) -> bool:
        try:
            httpx.get(f"{self.base_url}/users", timeout=2)
        except httpx.TransportError:
            return False
        return True


@contextmanager
def legacy_users(directory: Path) -> Iterator[LegacyUsers]:
    service = LegacyUsers(directory)
    service.start()
    try:
        yield service
    finally:
        service.stop()


# --- the scripts, in the shape of Auth0's custom database templates ------------------------------

LOGIN = """function login(email, password, callback) {
  const request = require('request');
  request.get({
    url: configuration.BASE_URL + '/profile',
    auth: { username: email, password: password },
    json: true
  }, function (err, response, body) {
    if (err) return callback(err);
    if (response.statusCode === 401) return callback(new WrongUsernameOrPasswordError(email));
    if (response.statusCode !== 200) {
      return callback(new Error('the legacy store answered ' + response.statusCode));
    }
    callback(null, {
      user_id: body.id.toString(),
      email: body.email,
      nickname: body.nickname,
      email_verified: body.email_verified,
      user_metadata: body.user_metadata,
      app_metadata: body.app_metadata
    });
  });
}"""

# Auth0's "Request with Basic Auth" login template as the Dashboard gives it: no `json` option
# (the body is parsed by hand), `callback()` with nothing for wrong credentials; only its URL,
# a placeholder there, is taken from the configuration.
LOGIN_BASIC_AUTH_TEMPLATE = """function login(email, password, callback) {
  const request = require('request');

  request.get({
    url: configuration.BASE_URL + '/profile',
    auth: {
      username: email,
      password: password
    }
  }, function(err, response, body) {
    if (err) return callback(err);
    if (response.statusCode === 401) return callback();
    const user = JSON.parse(body);

    callback(null, {
      user_id: user.user_id.toString(),
      nickname: user.nickname,
      email: user.email
    });
  });
}"""

# The store's salted SHA-256 hash (`sha256$salt$hex`) checked in the script with Node's
# `crypto`, as a template does with a hash the store cannot check for it.
LOGIN_WITH_SHA256 = """function login(email, password, callback) {
  const crypto = require('crypto');
  request.get({
    url: configuration.BASE_URL + '/users/hash',
    qs: { email: email },
    json: true
  }, function (err, response, user) {
    if (err) return callback(err);
    if (response.statusCode === 404) return callback(new WrongUsernameOrPasswordError(email));
    const parts = user.hash.split('$');
    const computed = crypto.createHash('sha256').update(parts[1] + password, 'utf8').digest();
    const stored = Buffer.from(parts[2], 'hex');
    if (computed.length !== stored.length || !crypto.timingSafeEqual(computed, stored)) {
      return callback(new WrongUsernameOrPasswordError(email));
    }
    callback(null, {
      user_id: user.id.toString(),
      email: user.email,
      user_metadata: user.user_metadata
    });
  });
}"""

LOGIN_WITH_BCRYPT = """function login(email, password, callback) {
  const bcrypt = require('bcrypt');
  request.get({
    url: configuration.BASE_URL + '/users/hash',
    qs: { email: email },
    json: true
  }, function (err, response, user) {
    if (err) return callback(err);
    if (response.statusCode === 404) return callback(new WrongUsernameOrPasswordError(email));
    bcrypt.compare(password, user.hash, function (err, isValid) {
      if (err || !isValid) return callback(err || new WrongUsernameOrPasswordError(email));
      callback(null, {
        user_id: user.id.toString(),
        nickname: user.nickname,
        email: user.email
      });
    });
  });
}"""

GET_USER = """function getByEmail(email, callback) {
  request.get({
    url: configuration.BASE_URL + '/users',
    qs: { email: email },
    json: true
  }, function (err, response, body) {
    if (err) return callback(err);
    if (response.statusCode === 404) return callback(null);
    if (response.statusCode !== 200) return callback(new Error('answered ' + response.statusCode));
    callback(null, {
      user_id: body.id.toString(),
      email: body.email,
      nickname: body.nickname,
      email_verified: body.email_verified,
      user_metadata: body.user_metadata,
      app_metadata: body.app_metadata
    });
  });
}"""

CREATE = """function create(user, callback) {
  request.post({
    url: configuration.BASE_URL + '/users',
    json: { email: user.email, password: user.password,
            language: (user.user_metadata || {}).language,
            tenant: user.tenant, client_id: user.client_id, connection: user.connection }
  }, function (err, response) {
    if (err) return callback(err);
    if (response.statusCode === 409) {
      return callback(new ValidationError('user_exists', 'the user already exists'));
    }
    if (response.statusCode !== 201) return callback(new Error('answered ' + response.statusCode));
    callback(null);
  });
}"""

CHANGE_PASSWORD = """function changePassword(email, newPassword, callback) {
  request.put({
    url: configuration.BASE_URL + '/users/password',
    json: { email: email, password: newPassword }
  }, function (err, response) {
    if (err) return callback(err);
    if (response.statusCode === 404) return callback(null, false);
    callback(null, true);
  });
}"""

VERIFY = """function verify(email, callback) {
  request.post({
    url: configuration.BASE_URL + '/users/verify',
    json: { email: email }
  }, function (err, response) {
    if (err) return callback(err);
    callback(null, response.statusCode === 204);
  });
}"""

DELETE = """function remove(id, callback) {
  request.del({ url: configuration.BASE_URL + '/users/' + id }, function (err, response) {
    if (err) return callback(err);
    if (response.statusCode !== 204) return callback(new Error('answered ' + response.statusCode));
    callback(null);
  });
}"""

CHANGE_EMAIL = """function changeEmail(email, newEmail, verified, callback) {
  request.put({
    url: configuration.BASE_URL + '/users/email',
    json: { email: email, new_email: newEmail, verified: verified }
  }, function (err, response) {
    if (err) return callback(err);
    callback(null, response.statusCode === 204);
  });
}"""

SCRIPTS = {
    "login": LOGIN,
    "get_user": GET_USER,
    "create": CREATE,
    "change_password": CHANGE_PASSWORD,
    "verify": VERIFY,
    "delete": DELETE,
    "change_email": CHANGE_EMAIL,
}
