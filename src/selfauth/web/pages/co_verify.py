"""Cross-origin authentication's fallback (Auth0's `/co/verify`): when the browser kept no cookie
from `/co/authenticate` (a cross-site call, whose cookies browsers may refuse), `/authorize`
answers this page instead. It frames the application's `cross_origin_loc` page, where auth0.js
`crossOriginVerification()` hands back the login's verifier from the application's own storage,
and posts it with the sealed authorize request to `/co/verify`, which redeems the ticket only if
the verifier is the one issued with it."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from selfauth.domain.clients.web_origins import allowed_origins, origin_of
from selfauth.web.pages.web_message import script_json

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
PURPOSE = "co_verify"
_ANSWER_WITHIN_MS = 10_000  # auth0.js answers at once; a page that never loads must not hang


def verification_page(
    state: str,
    co_id: str,
    cross_origin_loc: str,
    issuer_origin: str,
    answer_origin: str,
    web_origins: list[str],
) -> HTMLResponse | None:
    """The page, or None when `cross_origin_loc` is no usable http(s) URL. `answer_origin` is
    where the authorization response goes after `/co/verify` (the redirect_uri's origin);
    the page may be framed by the client's web origins (popup mode's hidden iframe)."""
    frame_origin = origin_of(cross_origin_loc)
    if frame_origin is None:
        return None
    nonce = secrets.token_urlsafe(16)
    html = _TEMPLATES.get_template("co_verify.html").render(
        nonce=nonce,
        state=state,
        frame_url=f"{cross_origin_loc.split('#', 1)[0]}#origin={quote(issuer_origin, safe='')}",
        frame_origin=script_json(frame_origin),
        co_id=script_json(co_id),
        timeout_ms=_ANSWER_WITHIN_MS,
    )
    ancestors = " ".join(allowed_origins(web_origins)) or "'none'"
    headers = {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; frame-src {frame_origin}; "
            f"form-action 'self' {answer_origin}; frame-ancestors {ancestors}; base-uri 'none'"
        ),
    }
    return HTMLResponse(html, headers=headers)


def sealed_fields(params: Mapping[str, str], ticket: str) -> dict[str, str]:
    """What `/co/verify` needs back: the authorize request and the ticket it carried."""
    return {**params, "login_ticket": ticket}
