"""`response_mode=web_message`: a page that hands the authorization response to the window
that opened it (a popup) or framed it (a hidden iframe) with `postMessage`, as Auth0's browser
SDKs expect. Only built for an origin the client listed in its Allowed Web Origins (the
authorize checks refuse the others before any sign-in)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from selfauth.domain.clients.web_origins import allowed_origins, origin_of

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
# Characters that could end the script element or the script itself when JSON sits inside
# an inline <script>: written as JSON escapes, which mean the same to the JSON reader.
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
# The SDKs read `expires_in` with parseInt; a number is what Auth0's page posts.
_NUMBERS = frozenset({"expires_in"})


def script_json(value: object) -> Markup:
    """JSON that is safe to write straight into an inline script."""
    return Markup(orjson.dumps(value).decode().translate(_SCRIPT_SAFE))  # noqa: S704


def _message(fields: Mapping[str, str]) -> dict[str, object]:
    return {k: int(v) if k in _NUMBERS and v.isdigit() else v for k, v in fields.items()}


def web_message_page(
    fields: Mapping[str, str], redirect_uri: str, web_origins: list[str]
) -> HTMLResponse:
    """The page posting `fields` to the origin of `redirect_uri`; it may be framed only by
    the client's web origins (the hidden iframe of a silent authentication)."""
    target = origin_of(redirect_uri)
    assert target is not None, "check_response_mode allowed this origin"
    nonce = secrets.token_urlsafe(16)
    html = _TEMPLATES.get_template("web_message.html").render(
        nonce=nonce, response=script_json(_message(fields)), origin=script_json(target)
    )
    ancestors = " ".join(allowed_origins(web_origins)) or "'none'"
    headers = {
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; form-action 'none'; "
            f"frame-ancestors {ancestors}; base-uri 'none'"
        ),
    }
    return HTMLResponse(html, headers=headers)
