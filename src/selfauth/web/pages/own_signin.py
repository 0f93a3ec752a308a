"""A sign-in the server makes as one of its own applications (the try page's Default App, the
dashboard's application): the browser goes to /authorize with PKCE (S256), a state and a
nonce, which wait in a short-lived cookie sealed with the server's key and scoped to the
page's path, so a callback is accepted only in the browser that started the sign-in. The
callback redeems the code inside the server (the server is that client: its secret is never
used or shown) and checks the ID token and its nonce."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from selfauth.domain.clients.model import Client
from selfauth.errors import SelfauthError
from selfauth.flows.grants import TokenRequest
from selfauth.oauth.jwt import InvalidToken
from selfauth.web.authentication.token import client_ip
from selfauth.web.context import Services
from selfauth.web.pages.sealed import open_sealed, seal
from selfauth.web.request_facts import request_facts


class SignInFailed(Exception):
    """The callback cannot sign anyone in; the message says why, for the page."""


@dataclass(frozen=True)
class Redeemed:
    tokens: dict[str, Any]
    id_claims: dict[str, Any]


@dataclass(frozen=True)
class OwnSignIn:
    cookie: str  # the waiting cookie's name
    path: str  # and its path: the pages that start and finish the sign-in
    purpose: str  # what the cookie is sealed for
    scope: str = "openid profile email"
    lifetime: int = 600

    def secure(self, found: Services) -> bool:
        return found.settings.issuer_url.startswith("https://")

    def begin(
        self,
        found: Services,
        client_id: str,
        redirect_uri: str,
        keep: Mapping[str, str] | None = None,
    ) -> Response:
        """The redirect to /authorize; `keep` waits in the cookie beside state, nonce and
        verifier (the dashboard's page to come back to)."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        waiting = {
            **(keep or {}),
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "verifier": verifier,
        }
        query = urlencode(
            {
                "client_id": client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": self.scope,
                "state": waiting["state"],
                "nonce": waiting["nonce"],
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            }
        )
        response = RedirectResponse(f"{found.settings.issuer_url}authorize?{query}", 302)
        response.headers["Cache-Control"] = "no-store"
        sealed = seal(
            waiting, found.secrets, found.clock(), purpose=self.purpose, lifetime=self.lifetime
        )
        response.set_cookie(
            self.cookie,
            sealed,
            max_age=self.lifetime,
            path=self.path,
            httponly=True,
            secure=self.secure(found),
            samesite="lax",  # the callback arrives by a top-level redirect
        )
        return response

    def waiting(self, found: Services, request: Request) -> dict[str, str]:
        """What `begin` kept, once the callback's state is this browser's sign-in's."""
        cookie = request.cookies.get(self.cookie)
        now = found.clock()
        kept = open_sealed(cookie, found.secrets, now, purpose=self.purpose) if cookie else None
        state = request.query_params.get("state", "")
        if kept is None or not hmac.compare_digest(kept["state"].encode(), state.encode()):
            raise SignInFailed(
                "This sign-in was not started in this browser, or took too long (the state "
                "does not match)."
            )
        if "error" in request.query_params:
            params = request.query_params
            raise SignInFailed(f"{params['error']}: {params.get('error_description', '')}")
        return kept

    async def redeem(
        self,
        found: Services,
        request: Request,
        client: Client,
        redirect_uri: str,
        kept: Mapping[str, str],
    ) -> Redeemed:
        """The code exchanged inside the server, and the ID token checked with its nonce."""
        token_request = TokenRequest(
            client=client,
            confidential=True,  # redeemed inside the server, which is this client
            grant_type="authorization_code",
            params={
                "code": request.query_params.get("code", ""),
                "redirect_uri": redirect_uri,
                "code_verifier": kept["verifier"],
            },
            facts=request_facts(request, client_ip(request, trust_forwarded=False)),
        )
        try:
            _, grant = found.grants.find("authorization_code")
            tokens = await found.grants.issue(grant, token_request)
            claims = await found.verifier.verify(str(tokens["id_token"]), client.client_id)
        except (SelfauthError, InvalidToken, KeyError) as exc:
            raise SignInFailed(f"The code could not be redeemed: {exc}") from exc
        nonce = str(claims.get("nonce", ""))
        if not hmac.compare_digest(nonce.encode(), kept["nonce"].encode()):
            raise SignInFailed("The ID token's nonce is not this sign-in's.")
        return Redeemed(dict(tokens), claims)

    def forget(self, response: Response, found: Services) -> None:
        """Every answer ends the sign-in it was waiting for: a state is good for one callback."""
        response.delete_cookie(self.cookie, path=self.path, secure=self.secure(found))
