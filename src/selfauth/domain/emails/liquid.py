"""Liquid as Auth0's email templates speak it (python-liquid), made safe to run on a tenant's
templates and a user's data.

- Tags and filters are Auth0's documented lists (auth0-behaviour.md §9), plus `break`,
  `continue` and `capture`, which every Liquid has; anything else is refused when the template is
  saved, so a template that works here works there. `include` and `layout` are refused too:
  a tenant has no partials to include. `safe` (python-liquid's way round autoescape) is absent.
- HTML bodies render with autoescape: every value inserted is HTML-escaped unless a filter
  already escaped it, so `user.user_metadata` cannot inject markup and `| escape` (what Auth0
  asks of templates) still escapes once, not twice. Subjects and plain-text parts render
  without escaping: they are not HTML.
- Every render is bounded: loop iterations (nested loops multiply), bytes written, the size of
  assigned variables, and a wall-clock deadline checked on every write and every loop entry.
  Rendering is synchronous on the event loop, so these bounds are what keeps one template from
  stalling the server: a built-in mail renders in about 0.1 ms, and no template runs past the
  deadline (bench/email_render.py).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from io import StringIO
from typing import Any, TextIO

from liquid import BoundTemplate, Environment, RenderContext
from liquid import ast as liquid_ast
from liquid.exceptions import LiquidError, LiquidSyntaxError
from liquid.output import LimitedStringIO
from liquid.stream import TokenStream
from liquid.tag import Tag
from liquid.token import TOKEN_TAG, Token

from selfauth.errors import InvalidBody

# Auth0's tags (§9), the loop controls, `capture`, and the parser's own node kinds.
_TAGS = frozenset(
    {
        "for",
        "break",
        "continue",
        "cycle",
        "tablerow",
        "if",
        "unless",
        "case",
        "assign",
        "capture",
        "increment",
        "decrement",
        "comment",
        "debug",
        # python-liquid's nodes for text, `{{ }}`, `{%- # -%}` and a tag it could not parse
        "content",
        "output",
        "#",
        "illegal",
    }
)
# Auth0's filters (§9), by group.
_FILTERS = frozenset(
    {
        "plus",
        "minus",
        "modulo",
        "times",
        "floor",
        "ceil",
        "round",
        "divided_by",
        "abs",
        "at_least",
        "at_most",
        "append",
        "prepend",
        "capitalize",
        "upcase",
        "downcase",
        "strip",
        "lstrip",
        "rstrip",
        "strip_newlines",
        "split",
        "replace",
        "replace_first",
        "remove",
        "remove_first",
        "truncate",
        "truncatewords",
        "escape",
        "escape_once",
        "url_encode",
        "url_decode",
        "strip_html",
        "newline_to_br",
        "slice",
        "map",
        "sort",
        "sort_natural",
        "first",
        "last",
        "join",
        "reverse",
        "size",
        "date",
        "default",
    }
)


_PARSED_KEPT = 256


@dataclass(frozen=True)
class RenderLimits:
    """Bounds on one render; a template that passes them all renders in milliseconds."""

    seconds: float = 0.25
    output_bytes: int = 256 * 1024
    loop_iterations: int = 10_000
    namespace_bytes: int = 256 * 1024
    template_chars: int = 100_000  # the largest body or subject accepted


class RenderError(Exception):
    """A template failed at render time (a limit reached, a filter given bad input)."""


class _DeadlineBuffer(LimitedStringIO):
    def __init__(self, limit: int, deadline: float) -> None:
        super().__init__(limit=limit)
        self.deadline = deadline

    def write(self, text: str, /) -> int:
        if time.monotonic() > self.deadline:
            raise RenderError("render time limit reached")
        return super().write(text)


class _BoundedContext(RenderContext):
    """Checks the deadline at each loop's entry and hands captures the bounded buffer."""

    deadline = float("inf")

    def raise_for_loop_limit(self, length: int = 1) -> None:
        if time.monotonic() > self.deadline:
            raise RenderError("render time limit reached")
        super().raise_for_loop_limit(length)

    def get_buffer(self, buf: TextIO | None = None) -> StringIO:
        limit = self.env.output_stream_limit or 0
        carry = buf.size if isinstance(buf, LimitedStringIO) else 0
        return _DeadlineBuffer(limit - carry, self.deadline)

    def copy(self, *args: Any, **kwargs: Any) -> RenderContext:
        copied = super().copy(*args, **kwargs)
        copied.deadline = self.deadline  # type: ignore[attr-defined]
        return copied


class _DebugNode(liquid_ast.Node):
    """Auth0's `{% debug %}`: the variables the template was given, as JSON."""

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        dumped = json.dumps(dict(context.globals), default=str, indent=2, sort_keys=True)
        if context.autoescape:
            dumped = dumped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return buffer.write(dumped)


class _DebugTag(Tag):
    name = "debug"
    block = False

    def parse(self, stream: TokenStream) -> liquid_ast.Node:
        token: Token = stream.eat(TOKEN_TAG)
        return _DebugNode(token)


def _environment(limits: RenderLimits, *, html: bool) -> Environment:
    env = Environment(autoescape=html)
    # python-liquid keeps its limits as class attributes; these instances own theirs.
    env.loop_iteration_limit = limits.loop_iterations  # type: ignore[misc]
    env.output_stream_limit = limits.output_bytes  # type: ignore[misc]
    env.local_namespace_limit = limits.namespace_bytes  # type: ignore[misc]
    env.tags = {name: tag for name, tag in env.tags.items() if name in _TAGS}
    env.tags["debug"] = _DebugTag(env)
    env.filters = {name: f for name, f in env.filters.items() if name in _FILTERS}
    return env


class Liquid:
    """Parses (refusing what Auth0 would not run) and renders within `limits`."""

    def __init__(self, limits: RenderLimits | None = None) -> None:
        self.limits = limits or RenderLimits()
        self._html = _environment(self.limits, html=True)
        self._text = _environment(self.limits, html=False)
        # Parsed templates by (html, source): a tenant has a handful, parsed once each.
        self._parsed: dict[tuple[bool, str], BoundTemplate] = {}

    def check(self, source: str, prop: str) -> None:
        """Raises `InvalidBody` naming `prop` and the line when `source` would not render."""
        self._parse(source, prop, html=True)

    def render_html(self, source: str, variables: dict[str, Any]) -> str:
        return self._render(self._parse(source, "body", html=True), variables)

    def render_text(self, source: str, variables: dict[str, Any]) -> str:
        return self._render(self._parse(source, "body", html=False), variables)

    def _parse(self, source: str, prop: str, *, html: bool) -> BoundTemplate:
        found = self._parsed.get((html, source))
        if found is None:
            found = self._parse_new(source, prop, html=html)
            if len(self._parsed) >= _PARSED_KEPT:
                self._parsed.clear()
            self._parsed[html, source] = found
        return found

    def _parse_new(self, source: str, prop: str, *, html: bool) -> BoundTemplate:
        if len(source) > self.limits.template_chars:
            raise InvalidBody(
                f"Payload validation error: 'String is too long ({len(source)} chars), "
                f"maximum {self.limits.template_chars}' on property {prop}."
            )
        env = self._html if html else self._text
        try:
            template = env.from_string(source)
        except LiquidError as exc:
            raise _syntax_error(exc, source, prop) from exc
        unknown = sorted(set(template.analyze().filters) - _FILTERS)
        if unknown:
            line = _line_of(source, unknown[0])
            raise InvalidBody(
                f"Invalid Liquid in {prop} on line {line}: unknown filter '{unknown[0]}'."
            )
        return template

    def _render(self, template: BoundTemplate, variables: dict[str, Any]) -> str:
        deadline = time.monotonic() + self.limits.seconds
        context = _BoundedContext(template, globals=template.make_globals(variables))
        context.deadline = deadline
        buffer = _DeadlineBuffer(self.limits.output_bytes, deadline)
        try:
            template.render_with_context(context, buffer)
        except RenderError:
            raise
        except Exception as exc:
            # Not only LiquidError: a filter may let Python's own error out (a product too
            # long to print is a ValueError). Whatever a tenant's template does, the caller
            # gets one error to handle, never a failed request.
            raise RenderError(_first_line(str(exc)) or type(exc).__name__) from exc
        return buffer.getvalue()


def _syntax_error(exc: LiquidError, source: str, prop: str) -> InvalidBody:
    token = exc.token
    index = token.start_index if token is not None else -1
    # The parser reports a block left open at the end with no position: the last line.
    line = source.count("\n", 0, index) + 1 if index >= 0 else source.count("\n") + 1
    kind = "syntax error" if isinstance(exc, LiquidSyntaxError) else "error"
    return InvalidBody(f"Invalid Liquid in {prop} on line {line}: {kind}, {_first_line(str(exc))}.")


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "invalid template"


def _line_of(source: str, filter_name: str) -> int:
    found = re.search(r"\|\s*" + re.escape(filter_name), source)
    return source.count("\n", 0, found.start()) + 1 if found else 1
