"""A dashboard page in its layout: the navigation, the administrator, and the CSRF token every
form carries."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from selfauth.web.admin.navigation import NAVIGATION
from selfauth.web.admin.render import render
from selfauth.web.admin.session import Admin


def admin_page(
    request: Request, admin: Admin, template: str, *, title: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """`template` extends layout.html; `title` names the page in its heading and tab."""
    path = request.url.path
    navigation = [
        {"label": label, "href": href, "current": re.match(pattern, path) is not None}
        for label, href, pattern in NAVIGATION
    ]
    return render(
        template,
        status,
        title=title,
        admin=admin,
        csrf=admin.csrf,
        navigation=navigation,
        **context,
    )
