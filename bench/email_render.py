"""What rendering one mail costs on the event loop (domain/emails/liquid.py): the built-in
verify_email (HTML, text part and subject), the seed's language template with its text part
derived from the HTML, and the worst a tenant template may do before a limit stops it.

    .venv/bin/python bench/email_render.py [--calls N]
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable

from selfauth.domain.emails.defaults import BUILT_IN
from selfauth.domain.emails.liquid import Liquid, RenderError
from selfauth.domain.emails.text import html_to_text

VALUES = {
    "user": {
        "email": "ada@example.com",
        "name": "Ada <Lovelace>",
        "user_metadata": {"lang": "fr"},
        "app_metadata": {},
    },
    "url": "https://auth.example.com/u/email-verification?ticket=abc#",
    "friendly_name": "Acme",
    "support_email": "help@acme.example",
    "support_url": "https://acme.example/help",
}
SEED = (
    "<p>{% if user.user_metadata.lang == 'es' %}Hola{% elsif user.user_metadata.lang == 'fr' %}"
    "Bonjour{% else %}Hello{% endif %} {{ user.name }},</p>"
    '<p><a href="{{ url }}">{{ url }}</a></p>'
)
WORST = "{% for i in (1..9999) %}{{ user.name | append: i | upcase }}{% endfor %}"


def per_call_us(work: Callable[[], object], calls: int) -> float:
    best = float("inf")
    for _ in range(5):  # the best of five: the least disturbed by the rest of the machine
        started = time.perf_counter()
        for _ in range(calls):
            work()
        best = min(best, time.perf_counter() - started)
    return best / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000)
    calls = parser.parse_args().calls
    liquid = Liquid()
    built_in = BUILT_IN["verify_email"]

    def verify_email() -> None:
        liquid.render_html(built_in.html, VALUES)
        liquid.render_text(built_in.text, VALUES)
        liquid.render_text(built_in.subject, VALUES)

    def seed() -> None:
        html_to_text(liquid.render_html(SEED, VALUES))

    def worst() -> None:
        with contextlib.suppress(RenderError):
            liquid.render_html(WORST, VALUES)

    print(
        f"built-in verify_email (html, text, subject): {per_call_us(verify_email, calls):8.1f} us"
    )
    print(f"seed language template + derived text part:  {per_call_us(seed, calls):8.1f} us")
    print(f"a 9,999-iteration loop until a limit stops it: {per_call_us(worst, 3) / 1000:6.1f} ms")


if __name__ == "__main__":
    main()
