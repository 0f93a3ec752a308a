"""The Management API's routers, mounted under `/api/v2`."""

from __future__ import annotations

from fastapi import APIRouter

from selfauth.web.management import (
    actions,
    branding,
    client_grants,
    clients,
    connections,
    email_outbox,
    emails,
    executions,
    grants,
    jobs,
    log_streams,
    logs,
    metadata_history,
    metadata_schemas,
    prompts,
    resource_servers,
    rules,
    rules_configs,
    signing_keys,
    tenant_settings,
    tickets,
    user_blocks,
    user_identities,
    users,
)

PREFIX = "/api/v2"
# Listed flat rather than nested in one parent router: FastAPI matches nested routers level by
# level, which cost a hot request more than its database lookup.
ROUTERS: tuple[APIRouter, ...] = (
    users.router,
    user_identities.router,
    clients.router,
    client_grants.router,
    grants.router,
    resource_servers.router,
    connections.router,
    user_blocks.router,
    rules.router,
    rules_configs.router,
    executions.router,
    actions.router,
    jobs.router,
    tickets.router,
    emails.router,
    email_outbox.router,
    branding.router,
    prompts.router,
    tenant_settings.router,
    signing_keys.router,
    logs.router,
    log_streams.router,
    metadata_history.router,
    metadata_schemas.router,
)
