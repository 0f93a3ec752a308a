"""What every login page gets around its own content: the tenant's branding (colours, logo,
favicon, font), its custom text over the catalogue's, and its Universal Login page template.

`render_page` (web/pages/authorize.py) hands its template and context to `Page`, a response
that reads the branding and the page's custom text when it is sent (cached for a few seconds by
the services, so a busy page costs no read), renders, and writes the CSP that the branding's
origins need. Branding values were validated by the Management API; they are checked again
here and reach the page only as escaped attributes or as CSS custom properties of a strict form
(a `#RRGGBB` colour, a whole-number angle, a URL without quotes, parentheses or spaces). Custom
text is escaped like any other text. A page template that fails at render time is logged and
the page is sent without it."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from selfauth.domain.branding.validation import HEAD_TAG, WIDGET_TAG
from selfauth.domain.emails.liquid import Liquid
from selfauth.web.context import Services
from selfauth.web.pages.locale import environment, gettext, translations

log = logging.getLogger("selfauth.pages")

# The defaults meet WCAG 2.1 AA: white on the primary is 6.8:1, the primary on the white card
# 6.8:1 (links, focus rings), the text (#1a1a1a) 17:1 on the card.
DEFAULT_PRIMARY = "#1f4fd1"
DEFAULT_BACKGROUND = "#f4f5f7"
TEXT_CONTRAST = 4.5

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# A URL that can stand inside `url("...")` in CSS or a CSP source list: nothing that ends a
# string, a declaration or an element (no quotes, parentheses, backslash, <, >, spaces).
_SAFE_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~:/?#\[\]@!$&*+,;=%-]*)?")
_FONT_FILE = re.compile(r"\.(?:woff2?|ttf|otf)$", re.I)
_STYLE_TAG = re.compile(r"<style\b", re.I)
_NOT_WRAPPED = frozenset({"form_post.html"})  # an answer to the application, not a page
_CLIENT_NAME = "${clientName}"
_COMPANY_NAME = "${companyName}"

# Stand-ins for the page template's auth0 tags while Liquid renders it (the same in every
# render, so the parsed template is cached; unguessable, so no variable can hold one).
_HEAD_MARK = f"selfauth-head-{secrets.token_hex(12)}"
_WIDGET_MARK = f"selfauth-widget-{secrets.token_hex(12)}"


@dataclass(frozen=True)
class Screen:
    """An Auth0 prompt and screen, and where each of its text keys goes on our page: an
    English msgid (the template's `_()`), or `@field`, a field of the page's context
    (`@title`, `@message`) or `@page_title`, the document's title."""

    prompt: str
    name: str
    keys: Mapping[str, str]


_LOGIN = Screen(
    "login",
    "login",
    {
        "pageTitle": "@page_title",
        "title": "Sign in to %(client)s",
        "emailPlaceholder": "Email",
        "usernamePlaceholder": "Email or username",
        "passwordPlaceholder": "Password",
        "showPasswordText": "Show password",
        "buttonText": "Sign in",
        "forgotPasswordText": "Forgot your password?",
        "separatorText": "Or sign in with",
        "signupActionText": "Don't have an account?",
        "signupActionLinkText": "Sign up",
        # The same two texts under the keys Auth0's older text tables give them.
        "footerText": "Don't have an account?",
        "footerLinkText": "Sign up",
    },
)
_SIGNUP = Screen(
    "signup",
    "signup",
    {
        "pageTitle": "@page_title",
        "title": "Create your account for %(client)s",
        "emailPlaceholder": "Email",
        "usernamePlaceholder": "Username",
        "passwordPlaceholder": "Password",
        "showPasswordText": "Show password",
        "buttonText": "Sign up",
        "loginActionText": "Already have an account?",
        "loginActionLinkText": "Sign in",
        "passwordSecurityText": "Your password needs:",
    },
)
_RESET_REQUEST = Screen(
    "reset-password",
    "reset-password-request",
    {
        "pageTitle": "@page_title",
        "title": "Forgot your password?",
        "descriptionEmail": (
            "Enter your email address and we will send you a link to reset your password."
        ),
        "description": (
            "Enter your email address and we will send you a link to reset your password."
        ),
        "placeholderEmail": "Email",
        "emailPlaceholder": "Email",
        "buttonText": "Email me a reset link",
        "backToLoginLinkText": "Back to sign in",
    },
)
_RESET = Screen(
    "reset-password",
    "reset-password",
    {
        "pageTitle": "@page_title",
        "title": "Change your password",
        "passwordPlaceholder": "New password",
        "reEnterpasswordPlaceholder": "Type it again",
        "passwordSecurityText": "Your password needs:",
        "buttonText": "Change password",
    },
)
_VERIFY = Screen(
    "email-verification",
    "email-verification-result",
    {"pageTitle": "@page_title", "verifiedTitle": "@title", "verifiedDescription": "@message"},
)

_CONSENT = Screen(
    "consent",
    "consent",
    {
        "pageTitle": "@page_title",
        "title": "Authorize %(client)s",
        "messageSingleTenant": "%(client)s is asking for access to %(api)s on your behalf:",
        "messageMultipleTenants": "%(client)s is asking for access to %(api)s on your behalf:",
        "acceptButtonText": "Accept",
        "declineButtonText": "Decline",
    },
)

# The screens of each page template, first the one the page is.
_TEMPLATE_SCREENS: dict[str, tuple[Screen, ...]] = {
    "login.html": (_LOGIN,),
    "signup.html": (_SIGNUP,),
    "forgot_password.html": (_RESET_REQUEST,),
    "reset_password.html": (_RESET,),
    "email_verification.html": (_VERIFY,),
    "consent.html": (_CONSENT,),
}
_MESSAGE = {"pageTitle": "@page_title", "title": "@title", "description": "@message"}
# message.html says one thing; which screen it is follows from its title (an English msgid).
_MESSAGE_SCREENS: dict[str, Screen] = {
    "Signed out": Screen("logout", "logout-complete", _MESSAGE),
    "Check your email": Screen(
        "reset-password",
        "reset-password-email",
        {"pageTitle": "@page_title", "title": "@title", "emailDescription": "@message"},
    ),
    "Password changed": Screen(
        "reset-password", "reset-password-success", {"eventTitle": "@title", **_MESSAGE}
    ),
    "Email verified": _VERIFY,
}


def screens_of(template: str, title: str | None) -> tuple[Screen, ...]:
    if template == "message.html":
        found = _MESSAGE_SCREENS.get(title or "")
        return () if found is None else (found,)
    return _TEMPLATE_SCREENS.get(template, ())


# --- branding values ----------------------------------------------------------------------


def _luminance(color: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2.1's contrast ratio of two `#RRGGBB` colours."""
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _darkened(color: str, against: str = "#ffffff") -> str:
    """`color`, darkened step by step until text in it reads on `against` (4.5:1)."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    found = color
    while contrast(found, against) < TEXT_CONTRAST and any(rgb):
        rgb = [int(c * 0.9) for c in rgb]
        found = "#" + "".join(f"{c:02x}" for c in rgb)
    return found


def _color(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and _COLOR.fullmatch(value) else None


def _url(value: object) -> str | None:
    return value if isinstance(value, str) and _SAFE_URL.fullmatch(value) else None


def image_url(value: object) -> str | None:
    """An https image address a page may show (a connection's `icon_url`), or None: the
    same check as the branding's logo, so it cannot leave its attribute."""
    return _url(value)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Brand:
    """What base.html reads: every value in a form that cannot leave its CSS declaration or
    attribute."""

    primary: str = DEFAULT_PRIMARY
    on_primary: str = "#ffffff"
    link: str = DEFAULT_PRIMARY
    background: str = DEFAULT_BACKGROUND
    logo_url: str | None = None
    logo_alt: str = ""
    favicon_url: str | None = None
    font_file: Markup | None = None  # inside url("..."): checked by _SAFE_URL
    font_stylesheet: str | None = None
    images: tuple[str, ...] = ()  # origins for the CSP's img-src
    fonts: tuple[str, ...] = ()  # font-src
    styles: tuple[str, ...] = ()  # style-src, beside the nonce


def brand_of(
    settings: Mapping[str, Any], client_logo: object, alt: str, icons: tuple[str, ...] = ()
) -> Brand:
    """The page's look; `icons` are the checked image addresses of its sign-in buttons, whose
    origins join the logo's in img-src."""
    colors = settings.get("colors") if isinstance(settings.get("colors"), dict) else {}
    assert isinstance(colors, dict)
    primary = _color(colors.get("primary")) or DEFAULT_PRIMARY
    on_primary = max(("#ffffff", "#000000"), key=lambda c: contrast(primary, c))
    background = DEFAULT_BACKGROUND
    page = colors.get("page_background")
    if _color(page):
        background = _color(page) or DEFAULT_BACKGROUND
    elif isinstance(page, dict) and page.get("type") == "linear-gradient":
        start, end, angle = (
            _color(page.get("start")),
            _color(page.get("end")),
            page.get("angle_deg"),
        )
        if start and end and isinstance(angle, int) and 0 <= angle <= 360:
            background = f"linear-gradient({angle}deg, {start}, {end})"
    # The application's own logo wins on its pages, as Auth0's per-application logo does.
    logo = _url(client_logo) or _url(settings.get("logo_url"))
    favicon = _url(settings.get("favicon_url"))
    font = settings.get("font") if isinstance(settings.get("font"), dict) else {}
    assert isinstance(font, dict)
    font_url = _url(font.get("url"))
    font_file = font_url if font_url and _FONT_FILE.search(urlsplit(font_url).path) else None
    font_stylesheet = font_url if font_url and not font_file else None
    return Brand(
        primary=primary,
        on_primary=on_primary,
        link=_darkened(primary),
        background=background,
        logo_url=logo,
        logo_alt=alt,
        favicon_url=favicon,
        # Inside <style> HTML escaping would corrupt an `&`; _SAFE_URL keeps it inert.
        font_file=Markup(font_file) if font_file else None,  # noqa: S704
        font_stylesheet=font_stylesheet,
        images=tuple(dict.fromkeys(_origin(u) for u in (logo, favicon, *icons) if u)),
        fonts=(_origin(font_url),) if font_url else (),
        styles=(_origin(font_stylesheet),) if font_stylesheet else (),
    )


# --- what a page is given -----------------------------------------------------------------


@dataclass(frozen=True)
class Chrome:
    """One page's branding, custom text and page template, as read for its request."""

    settings: Mapping[str, Any] = field(default_factory=dict)
    template: str | None = None
    texts: Mapping[str, str] = field(default_factory=dict)  # msgid -> custom text
    fields: Mapping[str, str] = field(default_factory=dict)  # @field -> custom text
    screens: tuple[Screen, ...] = ()


async def load(found: Services, template: str, locale: str, title: str | None) -> Chrome:
    """The branding and the custom text of the page's screens in its language; an empty
    chrome (the default look) when they cannot be read."""
    screens = screens_of(template, title)
    try:
        branding = await found.branding.for_pages()
        texts: dict[str, str] = {}
        fields: dict[str, str] = {}
        for screen in screens:
            custom = (await found.prompts.for_page(screen.prompt, locale)).get(screen.name, {})
            for key, target in screen.keys.items():
                text = custom.get(key)
                if isinstance(text, str) and text:
                    chosen = fields if target.startswith("@") else texts
                    chosen.setdefault(target, text)
    except Exception:
        log.exception("the branding or custom text could not be read; default look")
        return Chrome(screens=screens)
    return Chrome(branding.settings, branding.template, texts, fields, screens)


def _filled(text: str, client: str, company: str) -> str:
    return text.replace(_CLIENT_NAME, client).replace(_COMPANY_NAME, company)


def _gettext(locale: str, custom: Mapping[str, str], client: str, company: str) -> Any:
    """The templates' `_()`: the custom text where the tenant set one (escaped, its
    `${clientName}` filled), else the catalogue's (as Jinja's newstyle gettext does)."""
    catalogue = translations(locale)

    @pass_context
    def gettext_(context: Context, message: str, **values: Any) -> str:
        if message in custom:
            return escape(_filled(custom[message], client, company))
        text = catalogue.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (the catalogue's own text, as Jinja's i18n)
        return text % values if values else text

    return gettext_


def _liquid_values(
    chrome: Chrome, brand: Brand, locale: str, context: Mapping[str, Any], company: str
) -> dict[str, Any]:
    """The variables Auth0 gives page templates that mean something here."""
    first = chrome.screens[0] if chrome.screens else None
    values: dict[str, Any] = {
        "locale": locale,
        "branding": {
            key: chrome.settings[key]
            for key in ("logo_url", "favicon_url", "colors", "font")
            if key in chrome.settings
        },
        "prompt": {
            "name": first.prompt if first else "",
            "screen": {"name": first.name if first else ""},
        },
        "tenant": {"friendly_name": company},
    }
    if "client_name" in context:
        values["application"] = {
            "name": context["client_name"],
            "logo_url": context.get("client_logo") or "",
        }
    return values


def render(
    chrome: Chrome,
    template: str,
    locale: str,
    context: Mapping[str, Any],
    nonce: str,
    company: str,
    liquid: Liquid,
) -> tuple[str, Brand]:
    """The page's HTML, inside the tenant's page template when one is set."""
    client = str(context.get("client_name") or "")
    icons = tuple(b["icon"] for b in context.get("buttons") or () if b.get("icon"))
    brand = brand_of(chrome.settings, context.get("client_logo"), client or company, icons)
    values = dict(context)
    title = values.get("title")
    if isinstance(title, str):
        values["title"] = gettext(locale, title)
    for target, text in chrome.fields.items():
        values[target[1:]] = _filled(text, client, company)
    translate = _gettext(locale, chrome.texts, client, company)
    values.update(nonce=nonce, brand=brand, _=translate, gettext=translate)
    page = environment(locale).get_template(template)
    if chrome.template is None or template in _NOT_WRAPPED:
        return page.render(**values), brand
    separator = secrets.token_hex(16)
    head, _, widget = page.render(**values, parts_separator=separator).partition(separator)
    try:
        source = WIDGET_TAG.sub(_WIDGET_MARK, HEAD_TAG.sub(_HEAD_MARK, chrome.template))
        wrapped = liquid.render_html(
            source, _liquid_values(chrome, brand, locale, context, company)
        )
    except Exception as exc:
        log.warning("the Universal Login page template failed (%s); page sent without it", exc)
        return page.render(**values), brand
    # The template's own <style> elements are the tenant's: they get the page's nonce
    # (Liquid escaped every variable, so only the template's literal tags match).
    wrapped = _STYLE_TAG.sub(f'<style nonce="{nonce}"', wrapped)
    return wrapped.replace(_HEAD_MARK, head, 1).replace(_WIDGET_MARK, widget), brand


def csp(nonce: str, form_action: str, brand: Brand) -> str:
    """The page's policy: its own inline style and script by the nonce, and the branding's
    origins for its images (logo, favicon), font and font stylesheet."""
    own = f"'nonce-{nonce}'"
    parts = [
        "default-src 'none'",
        " ".join(("style-src", own, *brand.styles)),
        f"script-src {own}",
    ]
    if brand.images:
        parts.append(" ".join(("img-src", *brand.images)))
    if brand.fonts:
        parts.append(" ".join(("font-src", *brand.fonts)))
    parts += [f"form-action {form_action}", "frame-ancestors 'none'", "base-uri 'none'"]
    return "; ".join(parts)


HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Page(HTMLResponse):
    """A login page, rendered when it is sent: the branding and custom text are read then,
    from the services of the app serving it. Headers and cookies may be added before."""

    def __init__(
        self, template: str, status: int, *, form_action: str, locale: str, context: dict[str, Any]
    ) -> None:
        super().__init__("", status_code=status, headers=HEADERS)
        self.template = template
        self.form_action = form_action
        self.locale = locale
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found: Services = scope["app"].state.services
        title = self.context.get("title")
        chrome = await load(found, self.template, self.locale, title)
        company = found.settings.tenant_friendly_name or found.settings.tenant
        nonce = secrets.token_urlsafe(16)
        html, brand = render(
            chrome,
            self.template,
            self.locale,
            self.context,
            nonce,
            company,
            found.branding.liquid,
        )
        self.body = html.encode()
        kept = [
            (name, value)
            for name, value in self.raw_headers
            if name not in (b"content-length", b"content-security-policy")
        ]
        policy = csp(nonce, self.form_action, brand)
        self.raw_headers = [
            *kept,
            (b"content-length", str(len(self.body)).encode()),
            (b"content-security-policy", policy.encode()),
        ]
        await super().__call__(scope, receive, send)
