"""Liquid as email templates speak it (domain/emails/liquid.py): Auth0's tags and filters only,
HTML autoescape that `| escape` does not double, refusals that name the line, and limits that
stop a template before it can stall the server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from selfauth.domain.emails.defaults import BUILT_IN
from selfauth.domain.emails.liquid import Liquid, RenderError, RenderLimits
from selfauth.domain.emails.text import html_to_text
from selfauth.errors import InvalidBody

LANGUAGES = (
    "{% if user.user_metadata.lang == 'es' %}Hola{% elsif user.user_metadata.lang == 'fr' %}"
    "Bonjour{% else %}Hello{% endif %}"
)
ATTACK = '<img src=x onerror="alert(1)"><a href="https://evil.example">click</a>'


@pytest.fixture(scope="module")
def liquid() -> Liquid:
    return Liquid()


def user(**metadata: Any) -> dict[str, Any]:
    return {"user": {"email": "ada@example.com", "name": "Ada", "user_metadata": metadata}}


@pytest.mark.parametrize(
    ("lang", "greeting"), [("es", "Hola"), ("fr", "Bonjour"), ("de", "Hello"), (None, "Hello")]
)
def test_the_seed_example_greets_each_user_in_their_language(
    liquid: Liquid, lang: str | None, greeting: str
) -> None:
    metadata = {} if lang is None else {"lang": lang}
    assert liquid.render_html(LANGUAGES, user(**metadata)) == greeting


def test_user_metadata_cannot_inject_markup_into_html(liquid: Liquid) -> None:
    rendered = liquid.render_html("<p>{{ user.user_metadata.bio }}</p>", user(bio=ATTACK))
    assert "<img" not in rendered and "<a " not in rendered
    assert rendered == (
        "<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&lt;a href=&#34;https://evil.example&#34;"
        "&gt;click&lt;/a&gt;</p>"
    )


def test_escape_filters_are_not_escaped_again(liquid: Liquid) -> None:
    for source in ("{{ v | escape }}", "{{ v | escape_once }}"):
        assert liquid.render_html(source, {"v": "<b>&</b>"}) == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert liquid.render_html("{{ v | escape_once }}", {"v": "&amp; <"}) == "&amp; &lt;"


def test_user_values_joined_to_escaped_text_are_escaped(liquid: Liquid) -> None:
    values = {"v": "<b>", "u": {"n": "<script>"}}
    for source in (
        "{{ v | escape | append: u.n }}",
        "{{ v | escape | prepend: u.n }}",
        "{{ 'x' | escape | replace: 'x', u.n }}",
        "{{ u.n | url_encode | url_decode }}",
    ):
        assert "<script>" not in liquid.render_html(source, values), source


def test_values_built_by_filters_are_escaped_too(liquid: Liquid) -> None:
    source = "{{ user.user_metadata.x | append: '!' | downcase }}"
    assert liquid.render_html(source, user(x="<I>")) == "&lt;i&gt;!"


def test_text_parts_are_not_escaped(liquid: Liquid) -> None:
    assert liquid.render_text("Hi {{ user.name }}", {"user": {"name": "A & B"}}) == "Hi A & B"


def test_auth0s_filters_work(liquid: Liquid) -> None:
    source = (
        "{{ 7 | plus: 3 | times: 2 | divided_by: 4 }} "
        "{{ 'a,b,c' | split: ',' | reverse | join: '-' }} "
        "{{ missing | default: 'none' }} {{ 'Hello World' | truncatewords: 1 }} "
        "{{ 'a b' | url_encode }} {{ '<p>x</p>' | strip_html }} {{ list | size }}"
    )
    assert liquid.render_html(source, {"list": [1, 2]}) == "5 c-b-a none Hello... a+b x 2"


def test_debug_lists_the_variables_escaped(liquid: Liquid) -> None:
    rendered = liquid.render_html("{% debug %}", user(bio="<b>"))
    assert '"email": "ada@example.com"' in rendered
    assert "&lt;b&gt;" in rendered and "<b>" not in rendered


@pytest.mark.parametrize(
    ("source", "line", "what"),
    [
        ("<p>\n{% if user %}\nopen", 3, "syntax error"),
        ("a\n{{ x | where: 'y' }}", 2, "unknown filter 'where'"),
        ("a\nb\n{{ x | safe }}", 3, "unknown filter 'safe'"),
        ("{% include 'header' %}", 1, "unexpected tag 'include'"),
        ("one\n{% render 'x' %}", 2, "unexpected tag 'render'"),
        ("{{ x | }}", 1, "syntax error"),
    ],
)
def test_a_template_that_does_not_parse_is_refused_with_its_line(
    liquid: Liquid, source: str, line: int, what: str
) -> None:
    with pytest.raises(InvalidBody) as refused:
        liquid.check(source, "body")
    assert f"Invalid Liquid in body on line {line}" in str(refused.value)
    assert what in str(refused.value)


def test_a_template_too_long_is_refused(liquid: Liquid) -> None:
    with pytest.raises(InvalidBody, match="String is too long"):
        liquid.check("x" * 100_001, "body")


@pytest.mark.parametrize(
    ("source", "limit"),
    [
        ("{% for i in (1..100000) %}x{% endfor %}", "loop iteration"),
        (
            "{% for i in (1..100) %}{% for j in (1..100) %}{% for k in (1..100) %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            "loop iteration",
        ),
        (
            "{% assign s = 'abcdefgh' %}{% for i in (1..40) %}{% assign s = s | append: s %}"
            "{% endfor %}",
            "namespace",
        ),
        ("{% for i in (1..9000) %}" + "y" * 100 + "{% endfor %}", "output"),
    ],
)
def test_templates_past_the_limits_stop_quickly(liquid: Liquid, source: str, limit: str) -> None:
    liquid.check(source, "body")  # they parse: the limits are met at render time
    started = time.monotonic()
    with pytest.raises(RenderError, match=limit):
        liquid.render_html(source, {})
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    "source",
    [
        "{{ 1 | divided_by: 0 }}",
        "{{ 'x' | replace }}",
        # a product with more digits than Python will print: its ValueError, not Liquid's
        "{% assign x = 9999999999 %}{% for i in (1..12) %}{% assign x = x | times: x %}"
        "{% endfor %}{{ x }}",
    ],
)
def test_any_failure_at_render_time_is_a_render_error(liquid: Liquid, source: str) -> None:
    with pytest.raises(RenderError):
        liquid.render_html(source, {})


def test_a_slow_template_is_stopped_at_the_deadline() -> None:
    liquid = Liquid(RenderLimits(seconds=0.05))
    source = (
        "{% for i in (1..9999) %}{{ 'x' | append: 'y' | upcase | downcase | size }}{% endfor %}"
    )
    started = time.monotonic()
    with pytest.raises(RenderError, match="time limit"):
        liquid.render_html(source, {})
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_every_built_in_template_renders(liquid: Liquid, name: str) -> None:
    built_in = BUILT_IN[name]
    values = {
        **user(),
        "url": "https://auth.example.com/u/link?ticket=abc&x=1",
        "code": "123456",
        "friendly_name": "Example",
        "support_email": "help@example.com",
        "support_url": "",
    }
    html = liquid.render_html(built_in.html, values)
    text = liquid.render_text(built_in.text, values)
    subject = liquid.render_text(built_in.subject, values)
    assert "Example" in subject and "{{" not in subject
    assert "help@example.com" in html and "help@example.com" in text
    if "{{ url }}" in built_in.html:
        assert 'href="https://auth.example.com/u/link?ticket=abc&amp;x=1"' in html
        assert "https://auth.example.com/u/link?ticket=abc&x=1" in text
    if "{{ code }}" in built_in.html:
        assert "123456" in html and "123456" in text


def test_the_text_part_of_a_tenant_template_keeps_its_links() -> None:
    html = (
        "<html><head><style>p {}</style></head><body><p>Hi &amp; welcome,</p>"
        '<p><a href="https://x.example/v?a=1&amp;b=2">Verify</a></p></body></html>'
    )
    assert html_to_text(html) == "Hi & welcome,\n\nVerify (https://x.example/v?a=1&b=2)\n"
