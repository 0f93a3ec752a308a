"""The login pages' message catalogues (src/selfauth/web/pages/locales) and language choice:
every language translates every text the pages show, the committed `.mo` files are the `.po`
files compiled, the templates hold no text outside the catalogue, and `negotiate` picks
languages in the documented order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from selfauth.flows import email_links, password_login
from selfauth.web.pages import locale
from selfauth.web.pages.locale import SERVER_MESSAGES, SUPPORTED, accept_language, negotiate

PAGES = Path(locale.__file__).parent
LOCALES = PAGES / "locales"
_PLACEHOLDER = re.compile(r"%\(\w+\)s")


def extracted() -> set[str]:
    """What `pybabel extract -F babel.cfg -k N_` finds in web/pages."""
    with (PAGES / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = extract_from_dir(
        str(PAGES), method_map, options_map, keywords=keywords, comment_tags=()
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_catalogue_translates_every_text(lang: str) -> None:
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    messages = [m for m in catalogue if m.id]
    assert {m.id for m in messages} == extracted()
    for message in messages:
        assert isinstance(message.id, str) and isinstance(message.string, str)
        assert message.string.strip(), f"{lang}: no translation of {message.id!r}"
        assert not message.fuzzy, f"{lang}: {message.id!r} is fuzzy"
        assert sorted(_PLACEHOLDER.findall(message.string)) == sorted(
            _PLACEHOLDER.findall(message.id)
        ), f"{lang}: placeholders of {message.id!r}"


@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_committed_mo_is_the_po_compiled(lang: str) -> None:
    folder = LOCALES / lang / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    assert {m.id: m.string for m in source if m.id} == {m.id: m.string for m in compiled if m.id}, (
        "run .venv/bin/pybabel compile -d src/selfauth/web/pages/locales -D messages"
    )


@pytest.mark.parametrize(
    "template",
    [
        "login.html",
        "signup.html",
        "forgot_password.html",
        "screen.html",
        "reset_password.html",
        "_policy.html",
        "email_verification.html",
        "unblock.html",
        "message.html",
        "form_post.html",
        "consent.html",
    ],
)
def test_templates_hold_no_text_outside_the_catalogue(template: str) -> None:
    source = (PAGES / "templates" / template).read_text()
    source = re.sub(r"<(script|style)\b.*?</\1>", "", source, flags=re.S)
    source = re.sub(r"\{% trans .*?endtrans %\}", "", source, flags=re.S)
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)  # comments are not page text
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]*>", "", source, flags=re.S)
    assert source.strip() == "", source


def test_the_flows_messages_are_in_the_catalogue() -> None:
    """The English of the texts the flows raise is the catalogue's msgid."""
    for text in (
        password_login.WRONG_CREDENTIALS,
        password_login.BUSY,
        password_login.BLOCKED,
        email_links.VERIFIED,
        email_links.PASSWORD_CHANGED,
        email_links.UNBLOCKED,
    ):
        assert text in SERVER_MESSAGES


def test_english_texts_pass_through_unchanged() -> None:
    for lang in SUPPORTED:
        assert locale.message_text(lang, "") == ""  # not the catalogue's header
    assert locale.message_text("en", "Wrong email or password.") == "Wrong email or password."
    assert locale.message_text("fr", "An application's own words.") == (
        "An application's own words."
    )
    described = "at least 8 characters; 3 of: lower case, upper case, numbers, special characters"
    assert locale.policy_text("en", described) == described
    assert locale.policy_text("de", "at least 10 characters; each of: lower case, numbers") == (
        "mindestens 10 Zeichen; jeweils: Kleinbuchstaben, Ziffern"
    )


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", ["fr-CH", "fr", "en", "de"]),
        ("de;q=0.5, en", ["en", "de"]),
        ("it;q=0, es", ["es"]),
        ("pt_BR;q=0.8, es;q=0.8", ["pt-BR", "es"]),
        ("en;q=abc, <b>, fr", ["fr"]),
        ("", []),
    ],
)
def test_accept_language_is_read_by_quality(header: str, tags: list[str]) -> None:
    assert accept_language(header) == tags


@pytest.mark.parametrize(
    ("ui_locales", "accept", "user_lang", "chosen"),
    [
        ("fr", "de", None, "fr"),
        ("ja fr-CA", None, None, "fr"),
        (None, "ja, it-IT;q=0.8", None, "it"),
        ("ja", "ko", None, "en"),
        ("fr", "de", "pt-BR", "pt"),
        ("fr", "de", "xx", "fr"),
        (None, None, 42, "en"),
        ("ES", None, None, "es"),
    ],
)
def test_negotiate_order(
    ui_locales: str | None, accept: str | None, user_lang: object, chosen: str
) -> None:
    assert negotiate(ui_locales, accept, user_lang) == chosen
