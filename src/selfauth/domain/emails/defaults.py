"""The built-in templates: what a tenant that configured only SMTP sends.

English, as Auth0's are (a tenant localises by setting its own template, in Liquid). Each has
an HTML body and a plain-text part, written apart rather than derived, so the text reads well;
both are rendered with the same variables (HTML with autoescape, text without).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltIn:
    subject: str
    html: str
    text: str


def _page(title: str, paragraphs: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        + title
        + '</title></head>\n<body style="font-family: sans-serif; line-height: 1.5; '
        'max-width: 36em; margin: 2em auto; color: #222;">\n'
        + paragraphs
        + '\n<p style="color: #777; font-size: 0.9em;">{{ friendly_name }}'
        "{% if support_email != blank %} · {{ support_email }}{% endif %}"
        '{% if support_url != blank %} · <a href="{{ support_url }}">{{ support_url }}</a>'
        "{% endif %}</p>\n</body></html>\n"
    )


_SIGNATURE = (
    "\n--\n{{ friendly_name }}{% if support_email != blank %}\n{{ support_email }}{% endif %}"
    "{% if support_url != blank %}\n{{ support_url }}{% endif %}\n"
)
_BUTTON = (
    '<p><a href="{{ url }}" style="display: inline-block; padding: 0.6em 1.2em; '
    'background: #1a73e8; color: #fff; text-decoration: none; border-radius: 4px;">LABEL</a></p>\n'
    '<p>Or open this link: <a href="{{ url }}">{{ url }}</a></p>'
)


def _button(label: str) -> str:
    return _BUTTON.replace("LABEL", label)


_VERIFY_LINK = BuiltIn(
    subject="Verify your email for {{ friendly_name }}",
    html=_page(
        "Verify your email",
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>Please confirm that {{ user.email }} is your email address.</p>\n"
        + _button("Verify my email")
        + "\n<p>If you did not sign up, you can ignore this email.</p>",
    ),
    text=(
        "Hello {{ user.name | default: user.email }},\n\n"
        "Please confirm that {{ user.email }} is your email address by opening this link:\n\n"
        "{{ url }}\n\nIf you did not sign up, you can ignore this email.\n" + _SIGNATURE
    ),
)
_VERIFY_CODE = BuiltIn(
    subject="Your {{ friendly_name }} verification code",
    html=_page(
        "Your verification code",
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>Your verification code is:</p>\n"
        '<p style="font-size: 1.6em; letter-spacing: 0.2em;"><strong>{{ code }}</strong></p>\n'
        "<p>If you did not ask for it, you can ignore this email.</p>",
    ),
    text=(
        "Hello {{ user.name | default: user.email }},\n\nYour verification code is: {{ code }}\n\n"
        "If you did not ask for it, you can ignore this email.\n" + _SIGNATURE
    ),
)
_RESET_LINK = BuiltIn(
    subject="Reset your {{ friendly_name }} password",
    html=_page(
        "Reset your password",
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>Someone asked to reset the password of your account {{ user.email }}.</p>\n"
        + _button("Choose a new password")
        + "\n<p>If it was not you, ignore this email: your password stays as it is.</p>",
    ),
    text=(
        "Hello {{ user.name | default: user.email }},\n\n"
        "Someone asked to reset the password of your account {{ user.email }}.\n"
        "To choose a new password, open this link:\n\n{{ url }}\n\n"
        "If it was not you, ignore this email: your password stays as it is.\n" + _SIGNATURE
    ),
)
_RESET_CODE = BuiltIn(
    subject="Your {{ friendly_name }} password reset code",
    html=_page(
        "Your password reset code",
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>Your password reset code is:</p>\n"
        '<p style="font-size: 1.6em; letter-spacing: 0.2em;"><strong>{{ code }}</strong></p>\n'
        "<p>If it was not you, ignore this email: your password stays as it is.</p>",
    ),
    text=(
        "Hello {{ user.name | default: user.email }},\n\n"
        "Your password reset code is: {{ code }}\n\n"
        "If it was not you, ignore this email: your password stays as it is.\n" + _SIGNATURE
    ),
)
_WELCOME = BuiltIn(
    subject="Welcome to {{ friendly_name }}",
    html=_page(
        "Welcome",
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>Welcome to {{ friendly_name }}! Your account {{ user.email }} is ready.</p>",
    ),
    text=(
        "Hello {{ user.name | default: user.email }},\n\n"
        "Welcome to {{ friendly_name }}! Your account {{ user.email }} is ready.\n" + _SIGNATURE
    ),
)
_BLOCKED = BuiltIn(
    subject="Your {{ friendly_name }} account was blocked",
    html=_page(
        "Account blocked",
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>We blocked sign-ins to your account {{ user.email }} after several failed attempts"
        "{% if user.source_ip != blank %} from the address {{ user.source_ip }}{% endif %}.</p>\n"
        + _button("Unblock my account")
        + "\n<p>If these attempts were not yours, consider changing your password.</p>",
    ),
    text=(
        "Hello {{ user.name | default: user.email }},\n\n"
        "We blocked sign-ins to your account {{ user.email }} after several failed attempts"
        "{% if user.source_ip != blank %} from the address {{ user.source_ip }}{% endif %}.\n"
        "To unblock it, open this link:\n\n{{ url }}\n\n"
        "If these attempts were not yours, consider changing your password.\n" + _SIGNATURE
    ),
)
_CHANGED = BuiltIn(
    subject="Your {{ friendly_name }} password was changed",
    html=_page(
        "Password changed",
        "<p>Hello {{ user.name | default: user.email }},</p>\n"
        "<p>The password of your account {{ user.email }} was just changed.</p>\n"
        "<p>If you did not change it, contact us at once.</p>",
    ),
    text=(
        "Hello {{ user.name | default: user.email }},\n\n"
        "The password of your account {{ user.email }} was just changed.\n"
        "If you did not change it, contact us at once.\n" + _SIGNATURE
    ),
)

# `change_password` and `password_reset` are Auth0's legacy names for the reset mail and the
# notice sent after a change.
BUILT_IN: dict[str, BuiltIn] = {
    "verify_email": _VERIFY_LINK,
    "verify_email_by_code": _VERIFY_CODE,
    "reset_email": _RESET_LINK,
    "reset_email_by_code": _RESET_CODE,
    "welcome_email": _WELCOME,
    "blocked_account": _BLOCKED,
    "change_password": _RESET_LINK,
    "password_reset": _CHANGED,
}
