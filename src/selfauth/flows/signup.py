"""A user signing themselves up, with the registration hooks around it.

pre-user-registration Actions may refuse the sign-up or set metadata the new user starts with;
post-user-registration Actions run after the user exists, in the background (they cannot
change the outcome, and the response does not wait for them), as on Auth0.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from selfauth.domain.clients.model import Client
from selfauth.domain.connections.model import Connection
from selfauth.domain.logs import LogSink, NoLogs
from selfauth.domain.users.metadata import MetadataChange
from selfauth.domain.users.model import User
from selfauth.domain.users.service import MailsFor
from selfauth.domain.users.views import profile_view
from selfauth.errors import SelfauthError
from selfauth.flows.tenant_logs import about
from selfauth.hooks.outcome import Denial
from selfauth.hooks.runner import HookRunner, RequestFacts, SignupFacts

log = logging.getLogger("selfauth.hooks")

_PROFILE = ("email", "username", "phone_number", "name", "nickname", "given_name")
_PROFILE_MORE = ("family_name", "picture")


class SignupDenied(SelfauthError):
    """A pre-user-registration Action refused the sign-up: the user reads its message."""

    def __init__(self, denial: Denial) -> None:
        code = "invalid_signup" if denial.error == "invalid_signup" else "extensibility_error"
        super().__init__(denial.user_message or denial.description, error_code=code)
        self.denial = denial


class SignupUsers(Protocol):
    async def signup_connection(self, client_id: str, fields: dict[str, Any]) -> Connection: ...
    async def signup(
        self,
        client_id: str,
        fields: dict[str, Any],
        hook_changes: tuple[MetadataChange, MetadataChange] | None = None,
        mails: MailsFor | None = None,
    ) -> User: ...


class ClientFinder(Protocol):
    async def get(self, client_id: str) -> Client | None: ...


class SignupMails(Protocol):
    def for_signup(self, client_id: str | None, facts: RequestFacts | None = None) -> MailsFor: ...
    def wake(self, mails: MailsFor | None = None) -> None: ...


@dataclass
class Signup:
    users: SignupUsers
    clients: ClientFinder
    hooks: HookRunner | None = None
    mails: SignupMails | None = None  # the verification mail, queued with the new user
    _background: set[asyncio.Task[Any]] = field(default_factory=set)
    logs: LogSink = field(default_factory=NoLogs)  # `ss` / `fs` events

    async def register(self, client_id: str, fields: dict[str, Any], request: RequestFacts) -> User:
        """Sign a user up; logged as `ss`, or `fs` with the reason."""
        noted: dict[str, Any] = {"client_id": client_id, "connection": fields.get("connection")}
        noted.update(about(facts=request))
        try:
            user = await self._register(client_id, fields, request)
        except SelfauthError as exc:
            username = fields.get("email") or fields.get("username")
            # Not "code": that key is an authorization code's, hidden by the logs' scrub.
            details = {"error": {"message": exc.message, "errorCode": exc.error_code}}
            self.logs.record("fs", user_name=username, details=details, **noted)
            raise
        self.logs.record("ss", **noted, **about(user=user))
        return user

    async def _register(
        self, client_id: str, fields: dict[str, Any], request: RequestFacts
    ) -> User:
        mails = self.mails.for_signup(client_id, request) if self.mails else None
        if self.hooks is None:
            return self._woken(await self.users.signup(client_id, fields, mails=mails), mails)
        connection = await self.users.signup_connection(client_id, fields)
        client = await self.clients.get(client_id)
        preview = {name: fields[name] for name in (*_PROFILE, *_PROFILE_MORE) if fields.get(name)}
        preview["user_metadata"] = dict(fields.get("user_metadata") or {})
        preview["app_metadata"] = {}
        outcome = await self.hooks.pre_user_registration(
            SignupFacts(user=preview, client=client, connection=connection, request=request)
        )
        if outcome.denial is not None:
            raise SignupDenied(outcome.denial)
        changes = None
        if outcome.changes_metadata:
            changes = (outcome.user_metadata, outcome.app_metadata)
        user = self._woken(await self.users.signup(client_id, fields, changes, mails), mails)
        facts = SignupFacts(
            user=profile_view(user), client=client, connection=connection, request=request
        )
        task = asyncio.get_running_loop().create_task(self._after(facts))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return user

    def _woken(self, user: User, mails: MailsFor | None) -> User:
        """The mail sender is told a mail waits (it was queued with the user)."""
        if self.mails is not None:
            self.mails.wake(mails)
        return user

    async def _after(self, facts: SignupFacts) -> None:
        assert self.hooks is not None
        try:
            await self.hooks.post_user_registration(facts)
        except Exception:  # the user exists; a failing notification must not surface
            log.exception("post-user-registration hooks failed")
