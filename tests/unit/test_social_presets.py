"""The social presets (`google-oauth2`, `github`, `windowslive`, `apple`): each provider's
recorded answers mapped to the profile Auth0 makes of them, the users' ids, the options a
sign-in needs, the scopes and authorize parameters asked, and Apple's client secret.

The providers cannot be reached from CI: the answers in `social_answers/` are shaped after each
provider's API documentation, with made-up values (see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from selfauth.domain.connections.social_presets import (
    SOCIAL_STRATEGIES,
    ProfileRefused,
    apple_client_secret,
    authorize_params,
    preset_for,
    preset_options_problem,
    profile_from,
    profile_urls_for,
    scope_for,
    social_identity,
    social_user_ids,
)

ANSWERS = Path(__file__).parent / "social_answers"


def answer(name: str) -> Any:
    return json.loads((ANSWERS / f"{name}.json").read_text())


# --- GitHub ---------------------------------------------------------------------------------

GITHUB_PUBLIC_EXTRAS = {
    "node_id": "MDQ6VXNlcjQ4MjEzOTA3",
    "gravatar_id": "",
    "url": "https://api.github.com/users/mtrent",
    "html_url": "https://github.com/mtrent",
    "followers_url": "https://api.github.com/users/mtrent/followers",
    "following_url": "https://api.github.com/users/mtrent/following{/other_user}",
    "gists_url": "https://api.github.com/users/mtrent/gists{/gist_id}",
    "starred_url": "https://api.github.com/users/mtrent/starred{/owner}{/repo}",
    "subscriptions_url": "https://api.github.com/users/mtrent/subscriptions",
    "organizations_url": "https://api.github.com/users/mtrent/orgs",
    "repos_url": "https://api.github.com/users/mtrent/repos",
    "events_url": "https://api.github.com/users/mtrent/events{/privacy}",
    "received_events_url": "https://api.github.com/users/mtrent/received_events",
    "type": "User",
    "site_admin": False,
    "company": "@lanternworks",
    "blog": "https://mara.example.org",
    "location": "Lisbon",
    "bio": "Builds small tools.",
    "public_repos": 31,
    "public_gists": 4,
    "followers": 87,
    "following": 12,
}


def test_github_public_email_without_emails_answer_is_unverified() -> None:
    assert profile_from("github", [answer("github_user_public_email")]) == {
        **GITHUB_PUBLIC_EXTRAS,
        "user_id": "48213907",
        "email": "mara@example.org",
        "email_verified": False,
        "name": "Mara Trent",
        "nickname": "mtrent",
        "picture": "https://avatars.githubusercontent.com/u/48213907?v=4",
    }


def test_github_public_email_listed_verified_is_verified() -> None:
    emails = [
        {"email": "other@example.org", "primary": True, "verified": True, "visibility": "private"},
        {"email": "Mara@Example.org", "primary": False, "verified": True, "visibility": "public"},
    ]
    profile = profile_from("github", [answer("github_user_public_email"), emails])
    assert (profile["email"], profile["email_verified"]) == ("mara@example.org", True)


def test_github_unverified_public_email_gives_way_to_the_primary_verified_one() -> None:
    emails = [
        {"email": "mara@example.org", "primary": False, "verified": False, "visibility": "public"},
        {"email": "mara@work.example", "primary": True, "verified": True, "visibility": "private"},
    ]
    profile = profile_from("github", [answer("github_user_public_email"), emails])
    assert (profile["email"], profile["email_verified"]) == ("mara@work.example", True)


def test_github_without_public_email_takes_the_primary_verified_address() -> None:
    profile = profile_from("github", [answer("github_user_no_email"), answer("github_user_emails")])
    assert profile == {
        "node_id": "MDQ6VXNlcjc3MzAyMTQ=",
        "gravatar_id": "",
        "url": "https://api.github.com/users/okwu-dev",
        "html_url": "https://github.com/okwu-dev",
        "followers_url": "https://api.github.com/users/okwu-dev/followers",
        "following_url": "https://api.github.com/users/okwu-dev/following{/other_user}",
        "gists_url": "https://api.github.com/users/okwu-dev/gists{/gist_id}",
        "starred_url": "https://api.github.com/users/okwu-dev/starred{/owner}{/repo}",
        "subscriptions_url": "https://api.github.com/users/okwu-dev/subscriptions",
        "organizations_url": "https://api.github.com/users/okwu-dev/orgs",
        "repos_url": "https://api.github.com/users/okwu-dev/repos",
        "events_url": "https://api.github.com/users/okwu-dev/events{/privacy}",
        "received_events_url": "https://api.github.com/users/okwu-dev/received_events",
        "type": "User",
        "site_admin": False,
        "blog": "",
        "public_repos": 2,
        "public_gists": 0,
        "followers": 1,
        "following": 0,
        "user_id": "7730214",
        "email": "chidi.okwu@example.net",
        "email_verified": True,
        "name": "okwu-dev",
        "nickname": "okwu-dev",
        "picture": "https://avatars.githubusercontent.com/u/7730214?v=4",
    }


def test_github_without_any_email_has_no_email_keys() -> None:
    profile = profile_from("github", [answer("github_user_no_email"), []])
    assert "email" not in profile
    assert "email_verified" not in profile
    assert profile["user_id"] == "7730214"


def test_github_own_timestamps_never_reach_the_profile() -> None:
    profile = profile_from("github", [answer("github_user_public_email")])
    assert "created_at" not in profile
    assert "updated_at" not in profile
    assert "avatar_url" not in profile
    assert "login" not in profile


def test_github_emails_url_is_read_only_with_an_email_scope() -> None:
    assert profile_urls_for("github", "") == ("https://api.github.com/user",)
    assert profile_urls_for("github", "read:user user:email") == (
        "https://api.github.com/user",
        "https://api.github.com/user/emails",
    )


# --- Google ---------------------------------------------------------------------------------

GOOGLE_PROFILE = {
    "user_id": "110248495921238986420",
    "email": "lena.vogt@example.com",
    "email_verified": True,
    "name": "Lena Vogt",
    "given_name": "Lena",
    "family_name": "Vogt",
    "nickname": "lena.vogt",
    "picture": "https://lh3.googleusercontent.com/a/ACg8ocK-fake-picture=s96-c",
}


def test_google_id_token_and_userinfo() -> None:
    profile = profile_from(
        "google-oauth2", [answer("google_userinfo")], answer("google_id_token_claims")
    )
    assert profile == {**GOOGLE_PROFILE, "locale": "de", "hd": "example.com"}


def test_google_id_token_alone() -> None:
    assert profile_from("google-oauth2", [], answer("google_id_token_claims")) == GOOGLE_PROFILE


def test_google_id_token_wins_over_userinfo() -> None:
    userinfo = {**answer("google_userinfo"), "name": "Someone Else"}
    profile = profile_from("google-oauth2", [userinfo], answer("google_id_token_claims"))
    assert profile["name"] == "Lena Vogt"


def test_google_userinfo_about_another_subject_is_refused() -> None:
    userinfo = {**answer("google_userinfo"), "sub": "999"}
    with pytest.raises(ProfileRefused, match="another user"):
        profile_from("google-oauth2", [userinfo], answer("google_id_token_claims"))


def test_google_unverified_email_is_unverified() -> None:
    claims = {**answer("google_id_token_claims"), "email_verified": False}
    assert profile_from("google-oauth2", [], claims)["email_verified"] is False


# --- Microsoft ------------------------------------------------------------------------------


def test_microsoft_personal_account_takes_the_principal_name_as_email() -> None:
    assert profile_from("windowslive", [answer("microsoft_me_personal")]) == {
        "businessPhones": [],
        "displayName": "Tomas Reyes",
        "userPrincipalName": "tomas.reyes@outlook.example",
        "strategy_version": 2,
        "user_id": "7d2e90b1c45af318",
        "email": "tomas.reyes@outlook.example",
        "email_verified": False,
        "name": "Tomas Reyes",
        "given_name": "Tomas",
        "family_name": "Reyes",
        "nickname": "tomas.reyes",
    }


def test_microsoft_work_account_takes_mail_over_the_principal_name() -> None:
    assert profile_from("windowslive", [answer("microsoft_me_work")]) == {
        "businessPhones": ["+1 425 555 0142"],
        "displayName": "Priya Natarajan",
        "jobTitle": "Site Reliability Engineer",
        "mail": "Priya.Natarajan@contoso.example",
        "officeLocation": "18/2111",
        "preferredLanguage": "en-US",
        "userPrincipalName": "priyan@contoso.example",
        "strategy_version": 2,
        "user_id": "5f3c1a9e-2b47-4d0c-9e61-8a7b3c2d1e0f",
        "email": "Priya.Natarajan@contoso.example",
        "email_verified": False,
        "name": "Priya Natarajan",
        "given_name": "Priya",
        "family_name": "Natarajan",
        "nickname": "priyan",
    }


# --- Apple ----------------------------------------------------------------------------------


def test_apple_first_login_takes_the_name_from_the_user_field() -> None:
    profile = profile_from(
        "apple", [answer("apple_first_login_user")], answer("apple_id_token_claims")
    )
    assert profile == {
        "real_user_status": 2,
        "user_id": "001873.4c2f9e0b7a5d41e3b6c8a19f2d7e5b30.1042",
        "email": "noor.haddad@example.com",
        "email_verified": True,
        "is_private_email": False,
        "name": "Noor Haddad",
        "given_name": "Noor",
        "family_name": "Haddad",
        "nickname": "noor.haddad",
    }


def test_apple_user_field_may_come_as_the_posted_json_text() -> None:
    posted = (ANSWERS / "apple_first_login_user.json").read_text()
    profile = profile_from("apple", [posted], answer("apple_id_token_claims"))
    assert (profile["given_name"], profile["family_name"]) == ("Noor", "Haddad")


def test_apple_later_logins_carry_no_name() -> None:
    profile = profile_from("apple", [], answer("apple_id_token_claims"))
    assert profile == {
        "real_user_status": 2,
        "user_id": "001873.4c2f9e0b7a5d41e3b6c8a19f2d7e5b30.1042",
        "email": "noor.haddad@example.com",
        "email_verified": True,
        "is_private_email": False,
        "nickname": "noor.haddad",
    }


def test_apple_private_relay_address() -> None:
    assert profile_from("apple", [], answer("apple_id_token_private_relay")) == {
        "real_user_status": 1,
        "user_id": "000514.91e6d3c0a2b84f7d8e5c3b1a0f9d2e64.2217",
        "email": "k7x2p9qv4m@privaterelay.appleid.com",
        "email_verified": True,
        "is_private_email": True,
        "nickname": "k7x2p9qv4m",
    }


def test_apple_unparseable_user_field_is_ignored() -> None:
    profile = profile_from("apple", ["{not json"], answer("apple_id_token_claims"))
    assert "name" not in profile


# --- answers that name no user --------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "answers", "claims", "words"),
    [
        ("github", [{"login": "ghost", "id": None}], None, "GitHub's /user answer"),
        ("github", [{"login": "ghost", "id": True}], None, "GitHub's /user answer"),
        ("github", [], None, "GitHub answered no profile"),
        ("github", [["not", "an", "object"]], None, "not a JSON object"),
        ("google-oauth2", [{"email": "a@example.com"}], {}, "google-oauth2 ID token"),
        ("windowslive", [{"displayName": "No Id"}], None, "Graph's /me answer"),
        ("windowslive", [], None, "Microsoft Graph answered no profile"),
        ("apple", [], {"email": "a@example.com"}, "Apple's ID token"),
        ("apple", [], None, "Apple's ID token"),
    ],
    ids=[
        "github-null-id",
        "github-bool-id",
        "github-nothing",
        "github-array",
        "google-no-sub",
        "microsoft-no-id",
        "microsoft-nothing",
        "apple-no-sub",
        "apple-no-token",
    ],
)
def test_an_answer_without_an_id_is_refused(
    strategy: str, answers: list[Any], claims: dict[str, Any] | None, words: str
) -> None:
    with pytest.raises(ProfileRefused, match=words):
        profile_from(strategy, answers, claims)


def test_profile_refused_is_a_value_error() -> None:
    assert issubclass(ProfileRefused, ValueError)


# --- ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "provider_id"),
    [
        ("google-oauth2", "103547991597142817347"),
        ("github", "48213907"),
        ("windowslive", "4cf0a30169d55031"),
        ("apple", "001873.4c2f9e0b7a5d41e3b6c8a19f2d7e5b30.1042"),
    ],
)
def test_social_user_ids_are_prefixed_by_strategy(strategy: str, provider_id: str) -> None:
    assert social_user_ids(strategy, provider_id) == (f"{strategy}|{provider_id}", provider_id)


def test_social_identity_shape() -> None:
    assert social_identity("google-oauth2", "google-oauth2", "103547991597142817347") == {
        "connection": "google-oauth2",
        "provider": "google-oauth2",
        "user_id": "103547991597142817347",
        "isSocial": True,
    }


def test_an_empty_provider_id_is_refused() -> None:
    with pytest.raises(ProfileRefused):
        social_user_ids("github", "")


# --- presets --------------------------------------------------------------------------------


def test_each_strategy_has_a_social_preset() -> None:
    assert SOCIAL_STRATEGIES == ("google-oauth2", "github", "windowslive", "apple")
    for strategy in SOCIAL_STRATEGIES:
        preset = preset_for(strategy)
        assert preset is not None
        assert preset.strategy == strategy
        assert preset.is_social is True
        assert (preset.kind == "oidc") == (preset.issuer is not None)
    assert preset_for("oidc") is None
    assert preset_for("facebook") is None


def test_oidc_presets_discover_from_their_issuer() -> None:
    google, apple = preset_for("google-oauth2"), preset_for("apple")
    assert google is not None and apple is not None
    assert google.discovery_url == "https://accounts.google.com/.well-known/openid-configuration"
    assert apple.discovery_url == "https://appleid.apple.com/.well-known/openid-configuration"
    github = preset_for("github")
    assert github is not None and github.discovery_url is None


def test_github_token_request_asks_for_json() -> None:
    github = preset_for("github")
    assert github is not None
    assert ("accept", "application/json") in github.token_headers


# --- options a sign-in needs ----------------------------------------------------------------

CREDENTIALS = {"client_id": "id", "client_secret": "secret"}


@pytest.mark.parametrize("strategy", ["google-oauth2", "github", "windowslive"])
def test_client_credentials_are_enough_for_oauth_presets(strategy: str) -> None:
    assert preset_options_problem(strategy, CREDENTIALS) is None


@pytest.mark.parametrize("strategy", ["google-oauth2", "github", "windowslive"])
def test_missing_client_credentials_are_named(strategy: str) -> None:
    problem = preset_options_problem(strategy, {"scope": []}, name="social")
    assert problem is not None
    assert problem.startswith("The connection social has no client_id, client_secret")
    assert "developer keys" in problem
    assert preset_options_problem(strategy, {"client_id": "id", "client_secret": " "}) == (
        f"The {strategy} connection has no client_secret."
    )


def test_apple_needs_team_key_id_and_private_key() -> None:
    assert preset_options_problem("apple", {"client_id": "com.example.web"}) == (
        "The apple connection has no team_id, kid, app_secret."
    )
    options = {"client_id": "com.example.web", "team_id": "T", "kid": "K", "app_secret": "x"}
    assert preset_options_problem("apple", options) == (
        "The apple connection's app_secret is not a PEM private key (the .p8 file Apple gives)."
    )


def test_microsoft_live_connect_version_is_refused() -> None:
    problem = preset_options_problem("windowslive", {**CREDENTIALS, "strategy_version": 1})
    assert problem is not None and "strategy_version 1" in problem


def test_unknown_strategy_has_no_preset() -> None:
    assert preset_options_problem("facebook", CREDENTIALS) == (
        "The facebook connection uses the facebook strategy, for which selfauth has no preset."
    )


# --- scopes and authorize parameters --------------------------------------------------------


def test_google_scope_as_auth0_stores_it() -> None:
    options = {
        "email": True,
        "profile": True,
        "scope": ["profile", "https://www.googleapis.com/auth/calendar", "email"],
    }
    assert scope_for("google-oauth2", options) == (
        "openid email profile https://www.googleapis.com/auth/calendar"
    )


def test_google_offline_access_asks_for_a_refresh_token() -> None:
    assert authorize_params("google-oauth2", {"offline_access": True}) == {
        "response_type": "code",
        "scope": "openid email profile",
        "access_type": "offline",
        "prompt": "consent",
    }
    assert "access_type" not in authorize_params("google-oauth2", {})


def test_github_asks_no_scope_by_default_and_each_permission_when_set() -> None:
    assert authorize_params("github", {"scope": []}) == {"response_type": "code"}
    options = {"email": True, "read_user": True, "profile": True, "freeform_scopes": ["gist"]}
    assert scope_for("github", options) == "user:email read:user gist"


def test_microsoft_scope_reads_graph() -> None:
    options = {"signin": True, "offline_access": True, "scope": []}
    assert scope_for("windowslive", options) == "openid profile email User.Read offline_access"


def test_apple_asking_name_or_email_posts_the_answer() -> None:
    assert authorize_params("apple", {}) == {
        "response_type": "code",
        "scope": "name email",
        "response_mode": "form_post",
    }
    assert scope_for("apple", {"name": False, "email": True}) == "email"
    assert scope_for("apple", {"scope": "email name"}) == "email name"
    assert authorize_params("apple", {"scope": "openid"}) == {
        "response_type": "code",
        "scope": "openid",
    }


# --- Apple's client secret ------------------------------------------------------------------


def apple_key() -> tuple[str, ec.EllipticCurvePublicKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


def test_apple_client_secret_is_an_es256_jwt_from_the_connection_options() -> None:
    pem, public = apple_key()
    options = {"client_id": "com.example.web", "team_id": "TEAM123456", "kid": "KEY9876543"}
    secret = apple_client_secret({**options, "app_secret": pem}, now=1_796_539_200)
    assert jwt.get_unverified_header(secret) == {"alg": "ES256", "kid": "KEY9876543", "typ": "JWT"}
    claims = jwt.decode(
        secret,
        public,
        algorithms=["ES256"],
        audience="https://appleid.apple.com",
        options={"verify_exp": False},
    )
    assert claims == {
        "iss": "TEAM123456",
        "iat": 1_796_539_200,
        "exp": 1_796_539_800,
        "aud": "https://appleid.apple.com",
        "sub": "com.example.web",
    }


def test_apple_client_secret_refuses_bad_options() -> None:
    pem, _ = apple_key()
    options = {"client_id": "c", "team_id": "t", "kid": "k", "app_secret": pem}
    with pytest.raises(ValueError, match="six months"):
        apple_client_secret(options, now=0, lifetime=15_777_001)
    with pytest.raises(ValueError, match="no kid"):
        apple_client_secret({**options, "kid": ""}, now=0)
    rsa_like = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ValueError, match="EC P-256"):
        apple_client_secret({**options, "app_secret": rsa_like}, now=0)
