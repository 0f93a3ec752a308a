"""The login pages' languages: which one a request gets, and the pages' Jinja2 environments,
one per language, with that language's gettext catalogue (Babel; `locales/*/LC_MESSAGES`).

A page is in the first supported language of: the known user's `user_metadata.lang` (the
reset and verification pages, where the ticket names the user), the authorize request's
`ui_locales` (space-separated, in the sealed transaction, so it lasts through the form posts),
the browser's `Accept-Language` (by quality), and the tenant's default (`tenant_default`).

Texts built in Python are English msgids marked with `N_` (so `pybabel extract` finds them) and
translated when the page is rendered; a text the catalogue does not know (an application's or
a hook's own words) is shown as it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.core import negotiate_locale
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from selfauth.web.context import services_of

DEFAULT = "en"
SUPPORTED = ("en", "es", "fr", "de", "it", "pt")
LOCALES_DIR = Path(__file__).parent / "locales"
TEMPLATES_DIR = Path(__file__).parent / "templates"
_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")
_MAX_TAGS = 20  # a header or parameter longer than this is cut, not scanned


def N_(message: str) -> str:
    """Marks an English text for extraction; it is translated when a page shows it."""
    return message


def tenant_default(enabled_locales: list[str] | None = None) -> str:
    """The tenant's default language: the first of `/api/v2/tenants/settings`'s
    `enabled_locales` the pages speak (`pt-BR` speaks `pt`), else English."""
    for tag in enabled_locales or ():
        if chosen := _supported(_tags(tag)):
            return chosen
    return DEFAULT


def _supported(tags: list[str]) -> str | None:
    chosen = negotiate_locale(tags, list(SUPPORTED), sep="-", aliases={})
    return chosen.lower() if chosen else None


def _tags(value: str) -> list[str]:
    return [t.replace("_", "-") for t in value.split()[:_MAX_TAGS] if _TAG.fullmatch(t)]


def accept_language(header: str) -> list[str]:
    """The header's language tags, best first (quality values honoured, `q=0` dropped, equal
    qualities in the header's order)."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:_MAX_TAGS]):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and _TAG.fullmatch(tag):
            ranked.append((-quality, index, tag.replace("_", "-")))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(
    ui_locales: str | None = None,
    accept: str | None = None,
    user_lang: object = None,
    default: str | None = None,
) -> str:
    """The page's language (see the module's docstring for the order)."""
    if isinstance(user_lang, str) and (chosen := _supported(_tags(user_lang))):
        return chosen
    if ui_locales and (chosen := _supported(_tags(ui_locales))):
        return chosen
    if accept and (chosen := _supported(accept_language(accept))):
        return chosen
    return default or tenant_default()


def request_locale(
    request: Request, params: Mapping[str, str] | None = None, user_metadata: object = None
) -> str:
    """The language of the page answering `request`: `params` are the authorize request's
    (the query's when not given), `user_metadata` the known user's."""
    ui_locales = (params if params is not None else request.query_params).get("ui_locales")
    lang = user_metadata.get("lang") if isinstance(user_metadata, dict) else None
    default = tenant_default(services_of(request).tenant.enabled_locales_now())
    return negotiate(ui_locales, request.headers.get("accept-language"), lang, default)


@cache
def translations(locale: str) -> NullTranslations:
    if locale not in SUPPORTED or locale == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [locale], domain="messages")


def gettext(locale: str, message: str, **values: Any) -> str:
    """`message` in `locale` (as it is when the catalogue does not know it), `%(name)s`
    placeholders filled from `values`. The empty text stays empty (gettext would answer the
    catalogue's header)."""
    if not message:
        return message
    text = translations(locale).gettext(message)
    return text % values if values else text


@cache
def environment(locale: str) -> Environment:
    """The pages' templates in `locale`: `_()` and `{% trans %}` read its catalogue."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = locale
    return env


# Texts that reach the pages from the flows (their English is the flows' own; tests check
# that each is still the text the flow raises).
SERVER_MESSAGES = (
    N_("Wrong email or password."),
    N_("Too many login attempts for this account are under way; try again shortly."),
    N_(
        "Your account has been blocked after multiple consecutive login attempts. Ask an "
        "administrator to unblock it."
    ),
    N_("user is blocked"),
    N_("The user already exists."),
    N_("The form expired; start again."),
    N_("Your email was verified. You can continue using the application."),
    N_("Your password has been changed successfully."),
    N_("Your account has been unblocked."),
)

# The parts of a password policy's description (domain/connections/password_policy.py).
_POLICY_PARTS = (
    N_("3 of: lower case, upper case, numbers, special characters"),
    N_("lower case, upper case and numbers"),
    N_("no more than 2 identical characters in a row"),
    N_("no 3 sequential characters in a row (such as abc or 321)"),
    N_("not a word of the connection's dictionary"),
    N_("lower case"),
    N_("upper case"),
    N_("numbers"),
    N_("special characters"),
)
_AT_LEAST = re.compile(r"at least (\d+) characters")
_EACH_OF = "each of: "
_TOO_WEAK = re.compile(r"Password is too weak \((.*)\)", re.S)
_TOO_LONG = re.compile(r"Password is too long \(at most (\d+) bytes\)")


def policy_text(locale: str, description: str) -> str:
    """A password policy's `describe()` in `locale`, part by part."""
    parts = []
    for part in description.split("; "):
        if matched := _AT_LEAST.fullmatch(part):
            parts.append(gettext(locale, N_("at least %(count)s characters"), count=matched[1]))
        elif part.startswith(_EACH_OF):
            names = ", ".join(gettext(locale, n) for n in part.removeprefix(_EACH_OF).split(", "))
            parts.append(gettext(locale, N_("each of: %(types)s"), types=names))
        else:
            parts.append(gettext(locale, part))
    return "; ".join(parts)


def message_text(locale: str, message: str) -> str:
    """A message from a flow in `locale`: a known one translated, a password-strength one
    with its policy translated, any other as it is."""
    if matched := _TOO_WEAK.fullmatch(message):
        policy = policy_text(locale, matched[1])
        return gettext(locale, N_("Password is too weak (%(policy)s)"), policy=policy)
    if matched := _TOO_LONG.fullmatch(message):
        return gettext(
            locale, N_("Password is too long (at most %(count)s bytes)"), count=matched[1]
        )
    return gettext(locale, message)
