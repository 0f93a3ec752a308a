"""The browser session's cookie: its name and the attributes it is set and cleared with.

Silent authentication runs `/authorize?prompt=none` in a hidden iframe on the application's
site (auth0-spa-js `getTokenSilently`, auth0.js `checkSession`), and cross-origin login ends in
one, so the session must reach selfauth from another site's frame: `SameSite=None`. Browsers take
that only on a `Secure` cookie, which they allow over https and on loopback hosts, where
`http://localhost` counts as a secure context. On any other http address the cookie stays `Lax`:
frames from other sites then see no session (`login_required`), and SPAs use refresh tokens
instead (docs/browser-sdks.md). The login forms carry CSRF tokens either way."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Literal
from urllib.parse import urlsplit

from starlette.responses import Response

SESSION_COOKIE = "selfauth_session"


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def is_https(issuer_url: str) -> bool:
    return urlsplit(issuer_url).scheme == "https"


def cross_site_capable(issuer_url: str) -> bool:
    """Whether browsers will send the session to selfauth from another site's frame."""
    parts = urlsplit(issuer_url)
    return parts.scheme == "https" or _is_loopback(parts.hostname or "")


def _attributes(issuer_url: str) -> tuple[bool, Literal["none", "lax"]]:
    if cross_site_capable(issuer_url):
        return True, "none"
    return False, "lax"


def set_session(response: Response, issuer_url: str, value: str, max_age: int) -> None:
    secure, samesite = _attributes(issuer_url)
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max_age,
        httponly=True,
        samesite=samesite,
        secure=secure,
        path="/",
    )


def clear_session(response: Response, issuer_url: str) -> None:
    secure, samesite = _attributes(issuer_url)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite=samesite
    )


# --- the login ticket's binding (cross-origin authentication) ---------------------------------


def _ticket_cookie(co_id: str, partitioned: bool) -> str:
    return f"selfauth_co_{co_id}{'_p' if partitioned else ''}"


def set_ticket_binding(
    response: Response, issuer_url: str, co_id: str, verifier: str, max_age: int
) -> None:
    """The login's verifier, for `/authorize?login_ticket=` in this browser only. It is set by a
    cross-site call, so where cookies can be cross-site it is set twice: once as usual (a
    redirect to `/authorize`, with third-party cookies allowed) and once `Partitioned` to the
    application's site, which browsers that block third-party cookies still keep for the
    application's hidden iframe (popup mode)."""
    _write_binding(response, issuer_url, co_id, verifier, max_age)


def ticket_binding(cookies: dict[str, str], co_id: str) -> str | None:
    return cookies.get(_ticket_cookie(co_id, False)) or cookies.get(_ticket_cookie(co_id, True))


def clear_ticket_binding(response: Response, issuer_url: str, co_id: str) -> None:
    _write_binding(response, issuer_url, co_id, "", 0)  # max-age 0: the browser drops them


def _write_binding(
    response: Response, issuer_url: str, co_id: str, value: str, max_age: int
) -> None:
    secure, samesite = _attributes(issuer_url)
    for partitioned in (False, True) if secure else (False,):
        response.set_cookie(
            _ticket_cookie(co_id, partitioned),
            value,
            max_age=max_age,
            path="/authorize",
            httponly=True,
            secure=secure,
            samesite=samesite,
        )
        if partitioned:
            _mark_partitioned(response)


def _mark_partitioned(response: Response) -> None:
    """Add `Partitioned` to the Set-Cookie header just added: Starlette writes the attribute
    only on Python 3.14 and later (its cookie module's), so it is appended here."""
    name, value = response.raw_headers[-1]
    assert name == b"set-cookie"
    response.raw_headers[-1] = (name, value + b"; Partitioned")
