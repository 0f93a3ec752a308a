"""Auth0's rules for branding bodies, page templates and custom text.

Messages follow Auth0's schema validator (`Payload validation error: '...' on property p.`);
the exact wording of the format and pattern messages is an inference from that validator's
other messages (auth0-behaviour.md §5.1)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from selfauth.errors import InvalidBody, SelfauthError

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
HTTPS_FORMAT = "strict-https-uri-or-null"  # the Management API schema's format for the URLs
GRADIENT_TYPE = "linear-gradient"
URL_MAX_CHARS = 2048  # ours: Auth0's schema sets none
TEMPLATE_MAX_CHARS = 102_400  # UpdateUniversalLoginTemplateRequestContent's maxLength
TEMPLATE_TAGS_MESSAGE = (
    "The template must contain a single auth0:head tag and at least one auth0:widget tag."
)
_HEAD = re.compile(r"\{%-?\s*auth0:head\s*-?%\}")
_WIDGET = re.compile(r"\{%-?\s*auth0:widget\s*-?%\}")
HEAD_TAG = _HEAD  # the pages replace them when a template wraps a page
WIDGET_TAG = _WIDGET
TEXT_MAX_CHARS = 4096  # ours, per text: Auth0 names no bound
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,99}")


def _error(message: str, prop: str) -> InvalidBody:
    return InvalidBody(f"Payload validation error: '{message}' on property {prop}.")


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "integer" if isinstance(value, int) else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _expect(value: Any, kind: type, name: str, prop: str) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _error(f"Expected type {name} but found type {_type_name(value)}", prop)


def _closed(body: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
    extra = [prefix + key for key in body if key not in allowed]
    if extra:
        raise InvalidBody(
            f"Payload validation error: 'Additional properties not allowed: {','.join(extra)}'."
        )


def check_color(value: Any, prop: str) -> str:
    _expect(value, str, "string", prop)
    if not COLOR.fullmatch(value):
        raise _error(f"String does not match pattern ^#[0-9a-fA-F]{{6}}$: {value}", prop)
    return str(value)


def check_https_url(value: Any, prop: str) -> str:
    _expect(value, str, "string", prop)
    parts = urlsplit(value)
    if (
        len(value) > URL_MAX_CHARS
        or parts.scheme != "https"
        or not parts.hostname
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise _error(f"Object didn't pass validation for format {HTTPS_FORMAT}: {value}", prop)
    return str(value)


def _page_background(value: Any) -> str | dict[str, Any]:
    prop = "colors.page_background"
    if isinstance(value, str):
        return check_color(value, prop)
    if not isinstance(value, dict):
        raise _error(f"Expected type string but found type {_type_name(value)}", prop)
    _closed(value, ("type", "start", "end", "angle_deg"), prop + ".")
    for key in ("type", "start", "end", "angle_deg"):
        if key not in value:
            raise _error(f"Missing required property: {key}", prop)
    if value["type"] != GRADIENT_TYPE:
        raise _error(f"No enum match for: {value['type']}", prop + ".type")
    angle = value["angle_deg"]
    _expect(angle, int, "integer", prop + ".angle_deg")
    if not 0 <= angle <= 360:
        raise _error(f"Value {angle} is outside 0-360", prop + ".angle_deg")
    return {
        "type": GRADIENT_TYPE,
        "start": check_color(value["start"], prop + ".start"),
        "end": check_color(value["end"], prop + ".end"),
        "angle_deg": angle,
    }


def _merge(stored: Any, sent: dict[str, Any], checks: dict[str, Any], prop: str) -> dict[str, Any]:
    """One nested object's keys: each given replaces, `null` removes."""
    _expect(sent, dict, "object", prop)
    _closed(sent, tuple(checks), prop + ".")
    merged = dict(stored) if isinstance(stored, dict) else {}
    for key, value in sent.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = checks[key](value)
    return merged


def merge_branding(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`stored` with `patch` applied as PATCH /api/v2/branding does: `logo_url`,
    `favicon_url` replace; `colors` and `font` merge key by key; `null` removes at either
    level. Raises `InvalidBody` for anything Auth0's schema refuses."""
    _closed(patch, ("colors", "logo_url", "favicon_url", "font"))
    if not patch:
        raise InvalidBody("Payload validation error: 'Too few properties defined (0), minimum 1'.")
    merged = dict(stored)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif key in ("logo_url", "favicon_url"):
            merged[key] = check_https_url(value, key)
        elif key == "colors":
            checks = {
                "primary": lambda v: check_color(v, "colors.primary"),
                "page_background": _page_background,
            }
            merged[key] = _merge(stored.get(key), value, checks, key)
        else:
            merged[key] = _merge(
                stored.get(key), value, {"url": lambda v: check_https_url(v, "font.url")}, key
            )
        if merged.get(key) == {}:
            del merged[key]
    return merged


def check_template_tags(template: str) -> str:
    """Auth0's rule: exactly one `auth0:head` tag and at least one `auth0:widget` tag."""
    if len(template) > TEMPLATE_MAX_CHARS:
        raise InvalidBody(
            f"Payload validation error: 'String is too long ({len(template)} chars), "
            f"maximum {TEMPLATE_MAX_CHARS}' on property template."
        )
    if len(_HEAD.findall(template)) != 1 or not _WIDGET.search(template):
        raise InvalidBody(TEMPLATE_TAGS_MESSAGE)
    return template


def without_auth0_tags(template: str) -> str:
    """The template with its `auth0:` tags taken out, for the Liquid parser (they are
    selfauth's to fill, not Liquid's)."""
    return _WIDGET.sub("", _HEAD.sub("", template))


# --- prompts -----------------------------------------------------------------------------

# Auth0's prompts and each one's screens (node-auth0's PutCustomTextByLanguagePromptEnum; the
# screens are GetRenderingScreenEnum's, grouped by the prompt they follow in that list).
PROMPT_SCREENS: dict[str, tuple[str, ...]] = {
    "login": ("login",),
    "login-id": ("login-id",),
    "login-password": ("login-password",),
    "login-passwordless": ("login-passwordless-email-code", "login-passwordless-sms-otp"),
    "login-email-verification": ("login-email-verification",),
    "signup": ("signup",),
    "signup-id": ("signup-id",),
    "signup-password": ("signup-password",),
    "phone-identifier-enrollment": ("phone-identifier-enrollment",),
    "phone-identifier-challenge": ("phone-identifier-challenge",),
    "email-identifier-challenge": ("email-identifier-challenge",),
    "reset-password": (
        "reset-password-request",
        "reset-password-email",
        "reset-password",
        "reset-password-success",
        "reset-password-error",
        "reset-password-mfa-email-challenge",
        "reset-password-mfa-otp-challenge",
        "reset-password-mfa-phone-challenge",
        "reset-password-mfa-push-challenge-push",
        "reset-password-mfa-recovery-code-challenge",
        "reset-password-mfa-sms-challenge",
        "reset-password-mfa-voice-challenge",
        "reset-password-mfa-webauthn-platform-challenge",
        "reset-password-mfa-webauthn-roaming-challenge",
    ),
    "custom-form": ("custom-form",),
    "consent": ("consent",),
    "customized-consent": ("customized-consent",),
    "logout": ("logout", "logout-complete", "logout-aborted"),
    "mfa-push": (
        "mfa-push-welcome",
        "mfa-push-enrollment-qr",
        "mfa-push-enrollment-code",
        "mfa-push-success",
        "mfa-push-challenge-push",
        "mfa-push-list",
    ),
    "mfa-otp": ("mfa-otp-enrollment-qr", "mfa-otp-enrollment-code", "mfa-otp-challenge"),
    "mfa-voice": ("mfa-voice-enrollment", "mfa-voice-challenge"),
    "mfa-phone": ("mfa-phone-challenge", "mfa-phone-enrollment"),
    "mfa-webauthn": (
        "mfa-webauthn-platform-enrollment",
        "mfa-webauthn-roaming-enrollment",
        "mfa-webauthn-platform-challenge",
        "mfa-webauthn-roaming-challenge",
        "mfa-webauthn-change-key-nickname",
        "mfa-webauthn-enrollment-success",
        "mfa-webauthn-error",
        "mfa-webauthn-not-available-error",
    ),
    "mfa-sms": ("mfa-country-codes", "mfa-sms-enrollment", "mfa-sms-challenge", "mfa-sms-list"),
    "mfa-email": ("mfa-email-challenge", "mfa-email-list"),
    "mfa-recovery-code": ("mfa-recovery-code-enrollment", "mfa-recovery-code-challenge"),
    "mfa": (
        "mfa-detect-browser-capabilities",
        "mfa-enroll-result",
        "mfa-login-options",
        "mfa-begin-enroll-options",
    ),
    "status": ("status",),
    "device-flow": (
        "device-code-activation",
        "device-code-activation-allowed",
        "device-code-activation-denied",
        "device-code-confirmation",
    ),
    "email-verification": ("email-verification-result",),
    "email-otp-challenge": ("email-otp-challenge",),
    "organizations": ("organization-selection", "organization-picker"),
    "invitation": ("accept-invitation",),
    "common": ("redeem-ticket",),
    "passkeys": ("passkey-enrollment", "passkey-enrollment-local"),
    "captcha": ("interstitial-captcha",),
}
# node-auth0's PutCustomTextByLanguageLanguageEnum.
LANGUAGES = frozenset(
    (
        "am",
        "ar",
        "ar-EG",
        "ar-SA",
        "az",
        "bg",
        "bn",
        "bs",
        "ca-ES",
        "cnr",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "en-CA",
        "es",
        "es-419",
        "es-AR",
        "es-MX",
        "et",
        "eu-ES",
        "fa",
        "fi",
        "fr",
        "fr-CA",
        "fr-FR",
        "gl-ES",
        "gu",
        "he",
        "hi",
        "hr",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "ka",
        "kk",
        "kn",
        "ko",
        "lt",
        "lv",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "my",
        "nb",
        "nl",
        "nn",
        "no",
        "pa",
        "pl",
        "pt",
        "pt-BR",
        "pt-PT",
        "ro",
        "ru",
        "sk",
        "sl",
        "so",
        "sq",
        "sr",
        "sv",
        "sw",
        "ta",
        "te",
        "th",
        "tl",
        "tr",
        "uk",
        "ur",
        "vi",
        "zgh",
        "zh-CN",
        "zh-HK",
        "zh-TW",
    )
)


class InvalidPathParameter(SelfauthError):
    status_code = 400
    error_code = "invalid_uri"


def check_prompt(prompt: str, language: str) -> None:
    if prompt not in PROMPT_SCREENS:
        raise InvalidPathParameter(
            f"Path validation error: 'No enum match for: {prompt}' on property prompt "
            "(Name of the prompt.)."
        )
    if language not in LANGUAGES:
        raise InvalidPathParameter(
            f"Path validation error: 'No enum match for: {language}' on property language "
            "(Language to update.)."
        )


def check_custom_text(prompt: str, body: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A PUT body: screens of `prompt`, each an object of text keys to strings."""
    screens = PROMPT_SCREENS[prompt]
    texts: dict[str, dict[str, str]] = {}
    for screen, keys in body.items():
        if screen not in screens:
            raise InvalidBody(f'Invalid screen "{screen}" in prompt "{prompt}".')
        _expect(keys, dict, "object", screen)
        for key, text in keys.items():
            if not KEY.fullmatch(key):
                raise InvalidBody(f'Invalid key "{key}" in screen "{screen}".')
            prop = f"{screen}.{key}"
            _expect(text, str, "string", prop)
            if len(text) > TEXT_MAX_CHARS:
                raise _error(
                    f"String is too long ({len(text)} chars), maximum {TEXT_MAX_CHARS}", prop
                )
        texts[screen] = dict(keys)
    return texts
