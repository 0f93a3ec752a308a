"""The plain-text part of a tenant's template, derived from its rendered HTML.

Auth0's templates are HTML only; a mail also carries a text part, for clients that show no HTML
and for spam filters that expect one. Links keep their address (`label (https://...)`), block
elements become line breaks, entities are decoded, scripts and styles dropped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr", "ul", "ol"}
)
_HIDDEN = frozenset({"script", "style", "head", "title"})


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._href: str | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            self._href = dict(attrs).get("href")
            self._label = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self._href is not None:
            label = "".join(self._label).strip()
            link = self._href if not label or label == self._href else f"{label} ({self._href})"
            self.parts.append(link)
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._href is not None:
            self._label.append(data)
        else:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
