"""Runs a trigger's Rules and Actions for one login or sign-up, and reads what they asked for.

The runner builds the objects the scripts see (`user`/`context` for Rules, `event` for
Actions) from typed facts, sends them to the sandbox, records the execution, and returns a
`HookOutcome`. It never writes a user: the flows apply the outcome in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from selfauth import metrics
from selfauth.domain import ids
from selfauth.domain.clients.model import Client
from selfauth.domain.clock import Clock, iso
from selfauth.domain.connections.model import Connection
from selfauth.domain.metadata_history import ACTION, RULE
from selfauth.domain.users.model import User
from selfauth.domain.users.views import profile_view
from selfauth.hooks.messages import Execution, Failed, RunJob, Script
from selfauth.hooks.outcome import Denial, HookOutcome
from selfauth.hooks.sandbox import Sandbox, SandboxFailure

log = logging.getLogger("selfauth.hooks")

POST_LOGIN = "post-login"
PRE_USER_REGISTRATION = "pre-user-registration"
POST_USER_REGISTRATION = "post-user-registration"
CREDENTIALS_EXCHANGE = "credentials-exchange"


class RuleSource(Protocol):
    async def enabled(self) -> list[Any]: ...


class RuleConfigSource(Protocol):
    async def values(self) -> dict[str, str]: ...


class ActionSource(Protocol):
    async def bound(self, trigger_id: str) -> list[Any]: ...


class ExecutionLog(Protocol):
    def record(self, execution: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class RequestFacts:
    ip: str
    user_agent: str = ""
    hostname: str = ""
    method: str = "POST"
    query: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    language: str | None = None


@dataclass(frozen=True)
class LoginFacts:
    """Everything a post-login hook may read about this login."""

    user: User
    client: Client
    connection: Connection
    protocol: str
    request: RequestFacts
    scopes: list[str]
    audience: str | None = None
    transaction: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SignupFacts:
    """A sign-up about to happen (pre-) or just done (post-)."""

    user: dict[str, Any]  # the profile as it will be stored (pre) or the created user's view
    client: Client | None
    connection: Connection
    request: RequestFacts


@dataclass(frozen=True)
class ExchangeFacts:
    client: Client
    audience: str
    scopes: list[str]
    request: RequestFacts


@dataclass
class HookRunner:
    sandbox: Sandbox
    rules: RuleSource
    rule_configs: RuleConfigSource
    actions: ActionSource
    executions: ExecutionLog
    tenant: str
    clock: Clock

    async def post_login(self, facts: LoginFacts) -> HookOutcome:
        rules = await self.rules.enabled()
        actions = await self.actions.bound(POST_LOGIN)
        outcome = HookOutcome()
        if not rules and not actions:
            return outcome
        execution = self._execution(POST_LOGIN, facts.user.user_id, facts.client.client_id)
        if rules:
            job: RunJob = {
                "kind": "rules",
                "trigger": POST_LOGIN,
                "scripts": [Script(name=rule.name, code=rule.script) for rule in rules],
                "user": _rules_user(facts.user),
                "context": self._rules_context(facts),
                "configuration": await self.rule_configs.values(),
            }
            await self._run(job, outcome, execution, kind="Rule")
        if actions and outcome.denial is None:
            user = profile_view(facts.user)
            user["user_metadata"] = outcome.user_metadata.applied_to(facts.user.user_metadata)
            user["app_metadata"] = outcome.app_metadata.applied_to(facts.user.app_metadata)
            event = self._login_event(facts, user)
            await self._run(_actions_job(POST_LOGIN, actions, event), outcome, execution)
        self._finish(execution, outcome)
        return outcome

    async def try_action(
        self, trigger: str, name: str, code: str, secrets: dict[str, str], event: dict[str, Any]
    ) -> dict[str, Any]:
        """One action's code run against a given `event` (a dry run, Auth0's "test"): what it
        asked for, its console output and its error. Nothing is applied or recorded."""
        job: RunJob = {
            "kind": "actions",
            "trigger": trigger,
            "scripts": [Script(name=name, code=code, secrets=dict(secrets))],
            "event": event,
        }
        started = self.clock()
        try:
            answer = await self.sandbox.run(job)
        except SandboxFailure as failure:
            status = "timeout" if failure.script is not None else "crash"
            return _trial(status, str(failure), [], [], None, 0.0)
        run = answer["executions"][0] if answer["executions"] else None
        failed, denied = answer["failed"], answer["denied"]
        error = str(failed["message"] or failed["reason"]) if failed is not None else None
        denial = None
        if denied is not None:
            denial = {
                "error": denied["error"] or "access_denied",
                "reason": denied["reason"],
                "user_message": denied["userMessage"],
            }
        duration = run["duration_ms"] if run else (self.clock() - started).total_seconds() * 1000
        return _trial(
            run["status"] if run else ("error" if failed else "ok"),
            error if error is not None else (run["error"] if run else None),
            answer["commands"],
            run["logs"] if run else [],
            denial,
            duration,
        )

    async def pre_user_registration(self, facts: SignupFacts) -> HookOutcome:
        return await self._signup(PRE_USER_REGISTRATION, facts)

    async def post_user_registration(self, facts: SignupFacts) -> HookOutcome:
        return await self._signup(POST_USER_REGISTRATION, facts)

    async def credentials_exchange(self, facts: ExchangeFacts) -> HookOutcome:
        actions = await self.actions.bound(CREDENTIALS_EXCHANGE)
        outcome = HookOutcome()
        if not actions:
            return outcome
        execution = self._execution(CREDENTIALS_EXCHANGE, None, facts.client.client_id)
        event = {
            "client": _client(facts.client),
            "request": _request(facts.request),
            "resource_server": {"identifier": facts.audience},
            "tenant": {"id": self.tenant},
            "transaction": {"requested_scopes": facts.scopes},
            "accessToken": {"scope": facts.scopes},
        }
        await self._run(_actions_job(CREDENTIALS_EXCHANGE, actions, event), outcome, execution)
        self._finish(execution, outcome)
        return outcome

    async def _signup(self, trigger: str, facts: SignupFacts) -> HookOutcome:
        actions = await self.actions.bound(trigger)
        outcome = HookOutcome()
        if not actions:
            return outcome
        client_id = facts.client.client_id if facts.client else None
        execution = self._execution(trigger, facts.user.get("user_id"), client_id)
        event: dict[str, Any] = {
            "user": facts.user,
            "connection": _connection(facts.connection),
            "request": _request(facts.request),
            "tenant": {"id": self.tenant},
            "transaction": {"protocol": "oauth2-resource-owner"},
        }
        if facts.client is not None:
            event["client"] = _client(facts.client)
        await self._run(_actions_job(trigger, actions, event), outcome, execution)
        self._finish(execution, outcome)
        return outcome

    async def _run(
        self,
        job: RunJob,
        outcome: HookOutcome,
        execution: dict[str, Any],
        kind: str = "Action",
    ) -> None:
        started = self.clock()
        try:
            answer = await self.sandbox.run(job)
        except SandboxFailure as failure:
            log.warning("%s hooks failed in the sandbox: %s", job["trigger"], failure)
            # The watchdog names the script that outran its time, as the engine would have; a
            # worker that died takes the whole run with it.
            if failure.script is not None:
                name, status = failure.script, "timeout"
                description = _script_failed(kind, name, str(failure))
            else:
                name = ", ".join(script["name"] for script in job["scripts"])
                status, description = "crash", f"The {kind}s could not run: {failure}"
            execution["results"].append(
                _result(name, started, self.clock(), status, str(failure), [])
            )
            outcome.denial = Denial("access_denied", description, failed=True)
            return
        outcome.absorb(answer["commands"], RULE if job["kind"] == "rules" else ACTION)
        moment = started
        for run in answer["executions"]:
            ended = _after(moment, run["duration_ms"])
            execution["results"].append(
                _result(run["name"], moment, ended, run["status"], run["error"], run["logs"])
            )
            moment = ended
        failed, denied = answer["failed"], answer["denied"]
        if failed is not None:
            outcome.denial = self._failure(job, kind, failed, answer["executions"])
        elif denied is not None:
            outcome.denial = Denial(
                denied["error"] or "access_denied",
                denied["reason"] or "Access denied",
                user_message=denied["userMessage"],
            )

    @staticmethod
    def _failure(job: RunJob, kind: str, failed: Failed, runs: list[Execution]) -> Denial:
        message = str(failed["message"] or "error")
        if job["kind"] == "rules" and failed["reason"] == "error":
            # A Rule's `callback(error)` (or a throw) is how Rules refuse a login.
            unauthorized = any(run["unauthorized"] for run in runs)
            return Denial("unauthorized" if unauthorized else "access_denied", message)
        log.warning("%s %r failed (%s): %s", kind, failed.get("name"), failed["reason"], message)
        description = _script_failed(kind, failed.get("name"), message)
        return Denial("access_denied", description, failed=True)

    def _execution(
        self, trigger: str, user_id: str | None, client_id: str | None
    ) -> dict[str, Any]:
        now = iso(self.clock())
        return {
            "id": ids.object_id(),
            "trigger_id": trigger,
            "status": "pending",
            "results": [],
            "user_id": user_id,
            "client_id": client_id,
            "created_at": now,
            "updated_at": now,
        }

    def _finish(self, execution: dict[str, Any], outcome: HookOutcome) -> None:
        broken = outcome.denial is not None and outcome.denial.failed
        execution["status"] = "partial" if broken else "final"
        execution["updated_at"] = iso(self.clock())
        outcome.execution_id = execution["id"]
        self.executions.record(execution)
        for result in execution["results"]:
            metrics.hook_run(execution["trigger_id"], result["status"])

    def _rules_context(self, facts: LoginFacts) -> dict[str, Any]:
        request = facts.request
        context: dict[str, Any] = {
            "tenant": self.tenant,
            "clientID": facts.client.client_id,
            "clientName": facts.client.name,
            "clientMetadata": dict(facts.client.client_metadata),
            "connectionID": facts.connection.id,
            "connection": facts.connection.name,
            "connectionStrategy": facts.connection.strategy,
            "connectionMetadata": dict(facts.connection.metadata),
            "protocol": facts.protocol,
            "request": {
                "ip": request.ip,
                "userAgent": request.user_agent,
                "hostname": request.hostname,
                "query": request.query,
                "body": request.body,
            },
            "stats": {"loginsCount": facts.user.logins_count},
            "idToken": {},
            "accessToken": {"scope": list(facts.scopes)},
            "authentication": {"methods": [{"name": "pwd", "timestamp": _millis(self.clock())}]},
        }
        if facts.audience:
            context["audience"] = facts.audience
        return context

    def _login_event(self, facts: LoginFacts, user: dict[str, Any]) -> dict[str, Any]:
        transaction = {
            "protocol": facts.protocol,
            "requested_scopes": list(facts.scopes),
            **facts.transaction,
        }
        event: dict[str, Any] = {
            "user": user,
            "client": _client(facts.client),
            "connection": _connection(facts.connection),
            "request": _request(facts.request),
            "stats": {"logins_count": facts.user.logins_count},
            "tenant": {"id": self.tenant},
            "transaction": transaction,
            "authentication": {"methods": [{"name": "pwd", "timestamp": iso(self.clock())}]},
            "authorization": {"roles": []},
        }
        if facts.audience:
            event["resource_server"] = {"identifier": facts.audience}
        return event


# How a dry run names what the code asked for: the `api` call it made, as Auth0's docs name it
# (other commands keep the sandbox's own name).
_TRIAL_CALLS = {
    "set_user_metadata": "user.setUserMetadata",
    "set_app_metadata": "user.setAppMetadata",
    "merge_user_metadata": "user.setUserMetadata",
    "merge_app_metadata": "user.setAppMetadata",
    "add_scope": "accessToken.addScope",
    "remove_scope": "accessToken.removeScope",
    "set_scopes": "accessToken.scope",
}


def _trial_command(command: dict[str, Any]) -> dict[str, Any]:
    kind = str(command.get("type"))
    if kind == "claim":
        token = "idToken" if command.get("token") == "id" else "accessToken"
        call = f"{token}.setCustomClaim"
    else:
        call = _TRIAL_CALLS.get(kind, kind)
    shown = {"name": call}
    shown.update({k: v for k, v in command.items() if k not in ("type", "token", "by")})
    return shown


def _trial(
    status: str,
    error: str | None,
    commands: list[dict[str, Any]],
    logs: list[Any],
    denial: dict[str, Any] | None,
    duration_ms: float,
) -> dict[str, Any]:
    return {
        "status": status,
        "error": error,
        "commands": [_trial_command(c) for c in commands],
        "denied": denial,
        "logs": logs,
        "stats": {"action_duration_ms": round(duration_ms, 3)},
    }


def _script_failed(kind: str, name: Any, message: str) -> str:
    return f"{kind} '{name}' failed: {message}"


def _actions_job(trigger: str, actions: list[Any], event: dict[str, Any]) -> RunJob:
    return {
        "kind": "actions",
        "trigger": trigger,
        "scripts": [
            Script(name=action.name, code=action.code, secrets=dict(action.secrets))
            for action in actions
        ],
        "event": event,
    }


def _rules_user(user: User) -> dict[str, Any]:
    """Auth0's Rules `user`: `app_metadata` properties also appear at the root; empty
    metadata objects are absent, so `user.app_metadata = user.app_metadata || {}` works."""
    view = profile_view(user)
    merged = {**user.app_metadata, **view}
    for name in ("user_metadata", "app_metadata"):
        if not merged[name]:
            del merged[name]
    return merged


def _client(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "metadata": dict(client.client_metadata),
    }


def _connection(connection: Connection) -> dict[str, Any]:
    return {
        "id": connection.id,
        "name": connection.name,
        "strategy": connection.strategy,
        "metadata": dict(connection.metadata),
    }


def _request(request: RequestFacts) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ip": request.ip,
        "method": request.method,
        "hostname": request.hostname,
        "user_agent": request.user_agent,
        "query": request.query,
        "body": request.body,
        "geoip": {},
    }
    if request.language:
        found["language"] = request.language
    return found


def _result(
    name: str, started: datetime, ended: datetime, status: str, error: Any, logs: Any
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "action_name": name,
        "status": status,
        "started_at": iso(started),
        "ended_at": iso(ended),
        "duration_ms": round((ended - started).total_seconds() * 1000, 3),
        "logs": logs,
    }
    if error is not None:
        result["error"] = {"id": status, "msg": str(error)}
    return result


def _after(moment: datetime, milliseconds: float) -> datetime:
    return moment + timedelta(milliseconds=milliseconds)


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
