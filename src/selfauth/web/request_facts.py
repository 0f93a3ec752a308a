"""What hooks may read of the HTTP request behind a login (`context.request`, `event.request`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from selfauth.flows.login_hooks import visible_params
from selfauth.hooks.runner import RequestFacts


def request_facts(request: Request, ip: str, body: dict[str, Any] | None = None) -> RequestFacts:
    headers = request.headers
    language = headers.get("accept-language", "").split(",")[0].split(";")[0].strip() or None
    return RequestFacts(
        ip=ip,
        user_agent=headers.get("user-agent", "")[:512],
        hostname=(headers.get("host") or "").split(":")[0],
        method=request.method,
        query=visible_params(dict(request.query_params)),
        body=visible_params(body or {}),
        language=language,
    )
