"""Use cases on users: create, read, update (the merge rules), delete."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clock import Clock
from selfauth.domain.connections import custom_database
from selfauth.domain.connections.model import Connection
from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.domain.emails.message import PendingMail
from selfauth.domain.etags import IfMatch, precondition
from selfauth.domain.metadata_history import ACCOUNT_LINKING, CONNECTION, Author, Authors
from selfauth.domain.metadata_schemas.service import NO_SCHEMAS, Snapshot
from selfauth.domain.passwords import PasswordHasher
from selfauth.domain.search import Query
from selfauth.domain.users import attributes, legacy, linking, metadata
from selfauth.domain.users.etag import user_etag
from selfauth.domain.users.legacy import LegacyStore, ScriptError, ScriptRefused
from selfauth.domain.users.metadata import MetadataLimits
from selfauth.domain.users.model import User, inexistent_user
from selfauth.domain.users.upstream import (
    new_upstream_user,
    synced,
    upstream_ids,
    with_sign_in_tokens,
)
from selfauth.domain.users.views import default_picture
from selfauth.errors import Conflict, Forbidden, InvalidBody, OperationNotSupported

SYNCED_ATTRIBUTES = ("name", "nickname", "given_name", "family_name", "picture")
# The mails a new user is sent, made once the user exists (their links name the user).
MailsFor = Callable[[User, Connection], Awaitable[Sequence[PendingMail]]]
_ID_PREFIX = "auth0|"


class UserRepository(Protocol):
    async def get(self, user_id: str) -> User | None: ...
    async def get_any(self, user_id: str) -> User | None: ...
    async def update_pair(
        self,
        first_id: str,
        second_id: str,
        change: Callable[[User | None, User | None], tuple[User, User]],
        by: Authors,
    ) -> tuple[User, User]: ...
    async def insert(self, user: User, mails: Sequence[PendingMail] = ()) -> None: ...
    async def update(self, user_id: str, change: Callable[[User], User], by: Authors) -> User: ...
    async def delete(
        self, user_id: str, check: Callable[[User | None], None] | None = None
    ) -> bool: ...
    async def record_login(self, user_id: str, ip: str, now: datetime) -> User | None: ...
    async def by_email(self, email: str) -> list[User]: ...
    async def page(
        self, *, offset: int, limit: int, sort: str, descending: bool, with_total: bool
    ) -> tuple[list[User], int | None]: ...
    async def search(
        self,
        query: Query,
        *,
        offset: int,
        limit: int,
        sort: str,
        descending: bool,
        count_up_to: int | None,
    ) -> tuple[list[User], int | None]: ...
    async def walk(
        self, query: Query, *, after: tuple[Any, str] | None, take: int
    ) -> list[User]: ...


class MetadataSchemas(Protocol):
    async def snapshot(self) -> Snapshot: ...


class ConnectionFinder(Protocol):
    async def get(self, connection_id: str) -> Connection | None: ...
    async def get_by_name(self, name: str) -> Connection | None: ...


class UserService:
    def __init__(
        self,
        users: UserRepository,
        connections: ConnectionFinder,
        hasher: PasswordHasher,
        limits: MetadataLimits,
        clock: Clock,
        legacy_store: LegacyStore | None = None,
        schemas: MetadataSchemas | None = None,
    ) -> None:
        self._users = users
        self._schemas = schemas
        self._connections = connections
        self._hasher = hasher
        self._limits = limits
        self._clock = clock
        self._legacy = legacy_store

    async def _schema_snapshot(self) -> Snapshot:
        """The metadata schemas every metadata write obeys (domain/metadata_schemas)."""
        return NO_SCHEMAS if self._schemas is None else await self._schemas.snapshot()

    def _store(self) -> LegacyStore:
        if self._legacy is None:  # app.py always gives one; tests of the domain may not
            raise OperationNotSupported("Custom database scripts are not available here.")
        return self._legacy

    async def get(self, user_id: str) -> User:
        user = await self._users.get(user_id)
        if user is None:
            raise inexistent_user()
        return user

    async def get_or_none(self, user_id: str) -> User | None:
        return await self._users.get(user_id)

    async def delete(self, user_id: str, if_match: IfMatch | None = None) -> None:
        """Deleting a user that is not there (any more) is no error: Auth0 answers 204 too.
        A custom database's user (without import mode) is deleted by its `delete` script
        first, with the id Auth0 gives it (no `auth0|`); a migrated user is ours alone.
        With `if_match`, only while the user still has one of its ETags: checked before the
        script runs and again on the locked row that is deleted (a user gone is a 412)."""
        current = await self._users.get_any(user_id)
        check = precondition(if_match, user_etag, "user")
        if check is not None:
            check(current)
        connection = None if current is None else await self._connections.get(current.connection_id)
        if connection is not None and custom_database.scripted(connection, "delete"):
            try:
                await self._store().delete(connection, user_id.removeprefix(legacy.ID_PREFIX))
            except ScriptError as error:
                raise ScriptRefused.of(error) from error
        await self._users.delete(user_id, check)

    async def by_email(self, email: str) -> list[User]:
        return await self._users.by_email(email)

    async def by_email_in(self, connection_id: str, email: str) -> list[User]:
        """The users of one connection with this email (case-insensitive, surrounding spaces
        ignored): at most one, as an email is unique per connection."""
        found = await self._users.by_email(email.strip().lower())
        return [user for user in found if user.connection_id == connection_id]

    async def page(
        self, *, offset: int, limit: int, sort: str, descending: bool, with_total: bool
    ) -> tuple[list[User], int | None]:
        return await self._users.page(
            offset=offset, limit=limit, sort=sort, descending=descending, with_total=with_total
        )

    async def search(
        self,
        query: Query,
        *,
        offset: int,
        limit: int,
        sort: str,
        descending: bool,
        count_up_to: int | None,
    ) -> tuple[list[User], int | None]:
        return await self._users.search(
            query,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=descending,
            count_up_to=count_up_to,
        )

    async def walk(self, query: Query, *, after: tuple[Any, str] | None, take: int) -> list[User]:
        return await self._users.walk(query, after=after, take=take)

    async def signup(
        self,
        client_id: str,
        fields: dict[str, Any],
        hook_changes: tuple[metadata.MetadataChange, metadata.MetadataChange] | None = None,
        mails: MailsFor | None = None,
    ) -> User:
        """A user signing themselves up: the connection must allow it for this client.
        `hook_changes` are the pre-user-registration hooks' metadata, checked as any other;
        `mails` as for `create`."""
        await self.signup_connection(client_id, fields)
        metadata.check_signup_metadata(fields.get("user_metadata") or {})
        if hook_changes is not None:
            user_change, app_change = hook_changes
            fields = {
                **fields,
                "user_metadata": user_change.applied_to(fields.get("user_metadata") or {}),
                "app_metadata": app_change.applied_to({}),
            }
        return await self.create({**fields, "client_id": client_id}, mails)

    async def signup_connection(self, client_id: str, fields: dict[str, Any]) -> Connection:
        """The database connection a sign-up goes to, if it takes sign-ups from this client."""
        connection = await self._connections.get_by_name(fields["connection"])
        if connection is None or not connection.is_database:
            raise InvalidBody(f"Unknown database connection: {fields['connection']}")
        if connection.options.get("disable_signup"):
            raise Forbidden("Public signup is disabled", error_code="signup_disabled")
        if client_id not in connection.enabled_clients:
            raise Forbidden(
                f"The connection {connection.name} is not enabled for this client",
                error_code="unauthorized_client",
            )
        return connection

    async def create(self, fields: dict[str, Any], mails: MailsFor | None = None) -> User:
        """POST /users: database connections only; the password obeys the connection policy.
        `mails` makes the mails the new user is sent (verification), queued with the user."""
        connection = await self._connections.get_by_name(fields["connection"])
        if connection is None:
            raise InvalidBody("The connection does not exist.", error_code="inexistent_connection")
        if not connection.is_database:
            raise OperationNotSupported(
                f"Creating users is only supported on database connections ({connection.name} "
                f"uses the {connection.strategy} strategy)."
            )
        values = _validated_root(fields, connection)
        password = fields.get("password")
        if not isinstance(password, str):
            raise InvalidBody("Payload validation error: 'Missing required property: password'.")
        PasswordPolicy.from_options(connection.options).check(password)
        if values.get("email") is None and values.get("username") is None:
            raise InvalidBody("Payload validation error: 'Missing required property: email'.")
        if connection.requires_username and values.get("username") is None:
            raise InvalidBody("Payload validation error: 'Missing required property: username'.")
        given_user_metadata = fields.get("user_metadata") or {}
        given_app_metadata = fields.get("app_metadata") or {}
        self._limits.validate_patch(given_user_metadata, given_app_metadata)
        # Creation stores the objects as given, so `null` values would be stored: drop them.
        user_metadata = _without_nulls(given_user_metadata)
        app_metadata = _without_nulls(given_app_metadata)
        self._limits.validate_result(user_metadata, app_metadata)
        schemas = (await self._schema_snapshot()).for_connection(connection.id)
        schemas.check(user_metadata, app_metadata)
        if custom_database.customized(connection):
            scripted = await self._create_in_legacy(connection, values, fields, mails)
            if scripted is not None:
                return scripted
        local_id = _local_id(fields.get("user_id"))
        now = self._clock()
        email = values.get("email")
        nickname = values.get("nickname") or (
            email.split("@")[0] if email else values.get("username")
        )
        user = User(
            user_id=f"{_ID_PREFIX}{local_id}",
            connection_id=connection.id,
            created_at=now,
            updated_at=now,
            email=email,
            email_verified=bool(fields.get("email_verified", False)),
            username=values.get("username"),
            phone_number=values.get("phone_number"),
            phone_verified=bool(fields.get("phone_verified", False)),
            given_name=values.get("given_name"),
            family_name=values.get("family_name"),
            name=values.get("name") or email or values.get("username"),
            nickname=nickname,
            picture=values.get("picture") or default_picture(email, nickname),
            blocked=bool(fields.get("blocked", False)),
            password_hash=await self._hasher.hash(password),
            identities=[_database_identity(connection, local_id)],
            user_metadata=user_metadata,
            app_metadata=app_metadata,
        )
        await self._users.insert(user, await mails(user, connection) if mails else ())
        return user

    async def _create_in_legacy(
        self,
        connection: Connection,
        values: dict[str, Any],
        fields: dict[str, Any],
        mails: MailsFor | None,
    ) -> User | None:
        """A new user of a custom database. With import mode the user is ours (None: create it
        here), unless the legacy store already has that email (`get_user`), as on Auth0.
        Without, the `create` script makes the user there; the answer is the profile
        `get_user` then gives (cached here), or, without a `get_user` script, the user as
        given (not cached: the first login caches it)."""
        store = self._store()
        email = values.get("email")
        if custom_database.import_mode(connection):
            if email and custom_database.script(connection, "get_user"):
                try:
                    found = await store.get_user(connection, email)
                except ScriptError as error:
                    raise ScriptRefused.of(error) from error
                if found is not None:
                    raise Conflict("The user already exists.", error_code="auth0_idp_error")
            return None
        given: dict[str, Any] = {
            "email": email,
            "password": fields["password"],
            "connection": connection.name,
            "client_id": fields.get("client_id"),
        }
        for key in ("username", "phone_number", "given_name", "family_name", "name", "nickname"):
            if values.get(key) is not None:
                given[key] = values[key]
        for key in ("user_metadata", "app_metadata"):
            if fields.get(key):
                given[key] = fields[key]
        given = {key: value for key, value in given.items() if value is not None}
        try:
            await store.create(connection, given)
        except ScriptError as error:
            if error.user_exists:
                raise Conflict("The user already exists.", error_code="auth0_idp_error") from error
            raise ScriptRefused.of(error) from error
        now = self._clock()
        profile = None
        if email and custom_database.script(connection, "get_user"):
            try:
                profile = await store.get_user(connection, email)
            except ScriptError:
                profile = None  # the user was made there; the first login caches them
        if profile is None:
            profile = {**given, "user_id": email or values.get("username") or ids.object_id()}
            return legacy.new_legacy_user(connection, "create", profile, now, None)
        try:
            user = legacy.new_legacy_user(connection, "get_user", profile, now, None)
            return await self._cache(connection, "get_user", user, profile, now, None, mails)
        except ScriptError as error:
            raise ScriptRefused.of(error) from error

    async def _cache(
        self,
        connection: Connection,
        script: str,
        user: User,
        profile: dict[str, Any],
        now: datetime,
        password_hash: str | None,
        mails: MailsFor | None = None,
    ) -> User:
        """Store a legacy user's profile (from `script`): inserted the first time, refreshed
        after."""
        self._limits.validate_result(user.user_metadata, user.app_metadata)
        current = await self._users.get_any(user.user_id)
        if current is not None and current.connection_id != connection.id:
            # Auth0's user_id is `auth0|{id}` whatever the connection: the script's ids must
            # not meet another connection's users.
            raise ScriptError(
                script, f"the user_id {user.user_id} belongs to a user of another connection"
            )
        if current is None:
            try:
                await self._users.insert(user, await mails(user, connection) if mails else ())
            except Conflict as conflict:
                # The same first login twice at once: the other one made it. Otherwise another
                # user of the connection has this email or username: the script gave the same
                # person another user_id (Auth0 asks for one that never changes).
                if await self._users.get_any(user.user_id) is None:
                    raise ScriptError(
                        script,
                        f"the profile's email or username belongs to another user of "
                        f"{connection.name} (a user_id must stay the same for the same user)",
                    ) from conflict
            else:
                return user

        def change(stored: User) -> User:
            updated = legacy.refreshed(stored, profile, now, password_hash)
            self._limits.validate_result(updated.user_metadata, updated.app_metadata)
            return updated

        script_author = Author(CONNECTION, connection.id, connection.name)
        return await self._users.update(user.user_id, change, script_author)

    async def legacy_login(
        self, connection: Connection, identifier: str, password: str
    ) -> User | None:
        """A login through a custom database's `login` script: the user it returns, stored
        (import mode: with the password hashed by us, so later logins stay here; otherwise
        as a cached profile without a password), or None for wrong credentials.
        `ScriptError` for any other failure."""
        store = self._store()
        try:
            profile = await store.login(connection, identifier, password)
        except ScriptError as error:
            if error.wrong_credentials:
                return None
            raise
        if profile is None:
            return None
        now = self._clock()
        migrating = custom_database.import_mode(connection)
        password_hash = await self._hasher.hash(password) if migrating else None
        user = legacy.new_legacy_user(connection, "login", profile, now, password_hash)
        return await self._cache(connection, "login", user, profile, now, password_hash)

    async def reset_candidates(self, connection: Connection, email: str) -> list[User]:
        """Who a forgotten-password request for `email` is for: the connection's user with
        that email, or, on a custom database, the user its `get_user` script finds (then
        stored here without a password: with import mode the reset moves them in)."""
        found = await self.by_email_in(connection.id, email)
        if found or not custom_database.customized(connection):
            return found
        if not custom_database.script(connection, "get_user"):
            return []
        try:
            profile = await self._store().get_user(connection, email.strip().lower())
            if profile is None:
                return []
            now = self._clock()
            user = legacy.new_legacy_user(connection, "get_user", profile, now, None)
            return [await self._cache(connection, "get_user", user, profile, now, None)]
        except ScriptError:
            return []  # the caller answers the same either way

    async def legacy_password(self, connection: Connection, user: User, password: str) -> None:
        """A new password given to a custom database's `change_password` script."""
        if not user.email:
            raise ScriptRefused("Script change_password failed: the user has no email")
        try:
            changed = await self._store().change_password(connection, user.email, password)
        except ScriptError as error:
            raise ScriptRefused.of(error) from error
        if changed is False:
            raise ScriptRefused("Script change_password failed: the password was not changed")

    async def legacy_verify(self, connection: Connection, user: User) -> None:
        """An email verified, told to a custom database's `verify` script."""
        if not user.email:
            return
        try:
            verified = await self._store().verify(connection, user.email)
        except ScriptError as error:
            raise ScriptRefused.of(error) from error
        if verified is False:
            raise ScriptRefused("Script verify failed: the email was not verified")

    async def sign_in_upstream(
        self,
        connection: Connection,
        claims: dict[str, Any],
        ip: str,
        tokens: dict[str, Any] | None = None,
    ) -> User:
        """The user an upstream provider vouched for (`claims`, its checked ID token): made at
        the first sign-in, their profile synced by the connection's policy after
        (`users/upstream.py`), the provider's `tokens` (sealed) kept in their identity. An
        identity linked to another user signs that user (the primary) in, its profile synced
        into the primary's `profileData`."""
        user_id, _ = upstream_ids(connection, str(claims["sub"]))
        now = self._clock()
        kept = tokens or {}
        upstream_author = Author(CONNECTION, connection.id, connection.name)

        def signed(current: User) -> User:
            return with_sign_in_tokens(synced(current, connection, claims, now), kept, now)

        found = await self._users.get_any(user_id)
        if found is None:
            try:
                await self._users.insert(new_upstream_user(connection, claims, now, kept))
            except Conflict:  # the same first sign-in twice at once: the other one made it
                found = await self._users.get_any(user_id)
                if found is None:
                    raise
        elif signed(found) != found:
            found = await self._users.update(user_id, signed, upstream_author)
        primary_id = found.linked_to if found is not None else None
        if primary_id is not None and found is not None:
            secondary = found
            if secondary.blocked:  # blocked before it was linked: the caller refuses it
                return secondary
            primary = await self._users.get(primary_id)
            if (
                primary is not None
                and linking.with_profile_data(primary, secondary, now) != primary
            ):
                await self._users.update(
                    primary_id,
                    lambda current: linking.with_profile_data(current, secondary, now),
                    upstream_author,
                )
        # A sign-in, as a password login counts one (logins_count, last_login, last_ip).
        signed_in = await self._users.record_login(primary_id or user_id, ip, now)
        if signed_in is None:  # deleted in between
            raise inexistent_user()
        return signed_in

    async def link(
        self, primary_id: str, provider: str, identity_user_id: str, connection_id: str | None
    ) -> User:
        """POST /users/{id}/identities: the secondary (`{provider}|{identity_user_id}`) becomes
        an identity of the primary, in one transaction on both locked rows, so concurrent links
        to one primary all land and one secondary is never linked twice."""
        secondary_id = linking.secondary_user_id(provider, identity_user_id)
        return await self.link_user(primary_id, secondary_id, connection_id)

    async def link_user(
        self, primary_id: str, secondary_id: str, connection_id: str | None = None
    ) -> User:
        """As `link`, the secondary named by its user_id (a verified ID token's `sub`)."""
        now = self._clock()

        def change(primary: User | None, secondary: User | None) -> tuple[User, User]:
            return linking.linked(*linking.check_link(primary, secondary, connection_id), now)

        if primary_id == secondary_id:
            linking.check_link(await self.get(primary_id), await self.get(secondary_id), None)
        primary, _ = await self._users.update_pair(
            primary_id, secondary_id, change, ACCOUNT_LINKING
        )
        return primary

    async def unlink(self, primary_id: str, provider: str, identity_user_id: str) -> User:
        """DELETE /users/{id}/identities/{provider}/{user_id}: the secondary a user of its own
        again, with its `profileData` as its profile and no metadata."""
        secondary_id = linking.secondary_user_id(provider, identity_user_id)
        now = self._clock()

        def change(primary: User | None, secondary: User | None) -> tuple[User, User]:
            checked = linking.check_unlink(primary, secondary, provider, identity_user_id)
            return linking.unlinked(*checked, provider, identity_user_id, now)

        if primary_id == secondary_id:  # the primary's own identity: refused
            linking.check_unlink(await self.get(primary_id), None, provider, identity_user_id)
        primary, _ = await self._users.update_pair(
            primary_id, secondary_id, change, ACCOUNT_LINKING
        )
        return primary

    async def update(
        self,
        user_id: str,
        fields: dict[str, Any],
        by: Author,
        if_match: IfMatch | None = None,
    ) -> User:
        """PATCH /users/{id}: root attributes replace, metadata merges at the first level.
        With `if_match`, only while the stored user still has one of its ETags (checked on
        the locked row, in the transaction that writes). `by` is recorded in the history of
        the metadata keys it changes."""
        current = await self.get(user_id)
        connection = await self._connections.get(current.connection_id)
        if connection is None:  # cascades make this unreachable short of a race with a delete
            raise inexistent_user()
        root = _validated_root(fields, connection)
        _check_editable(root, connection)
        password_hash = None
        if "password" in fields and not connection.is_database:
            raise OperationNotSupported(
                f"Passwords are kept by the identity provider of {connection.name}, not here."
            )
        scripted_password = False
        if "password" in fields:
            password = fields["password"]
            if not isinstance(password, str):
                raise InvalidBody(
                    "Payload validation error: 'Expected type string but found type null' on "
                    "property password."
                )
            PasswordPolicy.from_options(connection.options).check(password)
            if custom_database.scripted(connection, "change_password"):
                await self.legacy_password(connection, current, password)
                scripted_password = True
            else:
                password_hash = await self._hasher.hash(password)
        new_email = root.get("email")
        if (
            "email" in root
            and new_email != current.email
            and custom_database.scripted(connection, "change_email")
        ):
            await self._legacy_email(connection, current, new_email, root)
        user_patch = fields.get("user_metadata")
        app_patch = fields.get("app_metadata")
        self._limits.validate_patch(user_patch, app_patch)
        schemas = (await self._schema_snapshot()).for_connection(connection.id)
        now = self._clock()

        def change(user: User) -> User:
            if if_match is not None:
                if_match.check(user_etag(user), "user")
            updated = dataclasses.replace(user, **root, updated_at=now)
            if "email" in root and root["email"] != user.email and "email_verified" not in root:
                updated = dataclasses.replace(updated, email_verified=False)
            if password_hash is not None:
                updated = dataclasses.replace(
                    updated, password_hash=password_hash, last_password_reset=now
                )
            elif scripted_password:
                updated = dataclasses.replace(updated, last_password_reset=now)
            if user_patch is not None:
                updated = dataclasses.replace(
                    updated, user_metadata=metadata.merge(user.user_metadata, user_patch)
                )
            if app_patch is not None:
                updated = dataclasses.replace(
                    updated, app_metadata=metadata.merge(user.app_metadata, app_patch)
                )
            _check_identifiers(user, updated, connection)
            self._limits.validate_result(updated.user_metadata, updated.app_metadata)
            # Only the fields written: a user who broke a schema set later can still be edited.
            schemas.check(
                None if user_patch is None else updated.user_metadata,
                None if app_patch is None else updated.app_metadata,
            )
            return updated

        return await self._users.update(user_id, change, by)

    async def _legacy_email(
        self, connection: Connection, current: User, new_email: Any, root: dict[str, Any]
    ) -> None:
        """A custom database user's new email, told to its `change_email` script first."""
        if not current.email or not isinstance(new_email, str):
            raise OperationNotSupported(
                f"The email of a user of {connection.name} can only be changed, not set or removed."
            )
        verified = bool(root.get("email_verified", False))
        try:
            changed = await self._store().change_email(
                connection, current.email, new_email, verified
            )
        except ScriptError as error:
            raise ScriptRefused.of(error) from error
        if changed is False:
            raise ScriptRefused("Script change_email failed: the email was not changed")

    async def apply_hook_changes(
        self,
        user_id: str,
        user_change: metadata.MetadataChange,
        app_change: metadata.MetadataChange,
    ) -> User:
        """A login's hooks' metadata changes, validated as a PATCH would be, in one write,
        each key's history naming the Rule or Action that set it."""
        self._limits.validate_patch(user_change.patch, app_change.patch)
        snapshot = await self._schema_snapshot()
        now = self._clock()

        def change(user: User) -> User:
            updated = dataclasses.replace(
                user,
                user_metadata=user_change.applied_to(user.user_metadata),
                app_metadata=app_change.applied_to(user.app_metadata),
                updated_at=now,
            )
            self._limits.validate_result(updated.user_metadata, updated.app_metadata)
            snapshot.for_connection(user.connection_id).check(
                updated.user_metadata if user_change else None,
                updated.app_metadata if app_change else None,
            )
            return updated

        authors = metadata.HookAuthors(user_change, app_change)
        return await self._users.update(user_id, change, authors)


def _without_nulls(value: dict[str, Any]) -> dict[str, Any]:
    return {key: inner for key, inner in value.items() if inner is not None}


_BOOL_ROOT = ("email_verified", "phone_verified", "blocked")


def _validated_root(fields: dict[str, Any], connection: Connection) -> dict[str, Any]:
    """The root attributes of a create or update body, checked and normalized."""
    values: dict[str, Any] = {}
    for key in _BOOL_ROOT:
        if key in fields:
            if not isinstance(fields[key], bool):
                raise InvalidBody(
                    f"Payload validation error: 'Expected type boolean' on property {key}."
                )
            values[key] = fields[key]
    if "email" in fields:
        email = fields["email"]
        values["email"] = (
            None
            if email is None
            else attributes.normalize_email(email, lower_case=connection.is_database)
        )
    if "username" in fields and fields["username"] is not None:
        if not connection.requires_username:
            raise InvalidBody(
                f"Cannot set username for connection without requires_username ({connection.name})."
            )
        low, high = attributes.username_limits(connection.options)
        values["username"] = attributes.normalize_username(
            fields["username"], min_length=low, max_length=high
        )
    elif "username" in fields:
        values["username"] = None
    for key in attributes.TEXT_LIMITS:
        if key in fields:
            values[key] = None if fields[key] is None else attributes.check_text(key, fields[key])
    if "phone_number" in fields:
        phone = fields["phone_number"]
        values["phone_number"] = None if phone is None else attributes.check_phone(phone)
    if "picture" in fields:
        picture = fields["picture"]
        values["picture"] = None if picture is None else attributes.check_picture(picture)
    return values


def _check_editable(root: dict[str, Any], connection: Connection) -> None:
    if connection.root_attributes_editable:
        return
    locked = [key for key in SYNCED_ATTRIBUTES if key in root]
    if locked:
        raise OperationNotSupported(
            f"The following user attributes cannot be updated: {', '.join(locked)}. The "
            f"connection ({connection.name}) must either be a database connection or have "
            "options.set_user_root_attributes set to on_first_login or never_on_login."
        )


def _check_identifiers(before: User, after: User, connection: Connection) -> None:
    """A database user keeps a way to sign in: an email, or a username where required. Only a
    removal is refused: an imported user may have had no username from the start."""
    if not connection.is_database:
        return
    if connection.requires_username and before.username is not None and after.username is None:
        raise InvalidBody(
            "Payload validation error: 'username cannot be removed' on property username."
        )
    if after.email is None and after.username is None:
        raise InvalidBody("Payload validation error: 'email cannot be removed' on property email.")


def _local_id(requested: Any) -> str:
    if requested is None:
        return ids.object_id()
    local = str(requested).removeprefix(_ID_PREFIX)
    if not local or len(local) > 255 or "|" in local:
        raise InvalidBody("Payload validation error: 'Invalid user_id' on property user_id.")
    return local


def _database_identity(connection: Connection, local_id: str) -> dict[str, Any]:
    return {
        "connection": connection.name,
        "provider": "auth0",
        "user_id": local_id,
        "isSocial": False,
    }
