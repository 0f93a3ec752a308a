"""What the Rules and Actions pages share: placing an error the services raise next to the
form field it concerns (a script's compile error with its line and column)."""

from __future__ import annotations

import re

from selfauth.errors import SelfauthError

# The services' validation messages end "... on property NAME." (or NAME.sub).
_PROPERTY = re.compile(r" on property ([A-Za-z_]+)(?:\.[A-Za-z_.]+)?\.?$")


def field_errors(
    exc: SelfauthError, fields: dict[str, str], code_field: str
) -> tuple[dict[str, str], str | None, dict[str, int] | None]:
    """(errors by form field, a problem for the page's banner, the script error's position).
    `fields` maps the API's property names to the form's field names; a compile error (it
    carries a line and column) belongs to `code_field`."""
    message = exc.message
    details = exc.details or {}
    line, column = details.get("line"), details.get("column")
    if isinstance(line, int) and isinstance(column, int):
        return {code_field: message}, None, {"line": line, "column": column}
    found = _PROPERTY.search(message)
    position = None
    if found and found.group(1) in fields:
        text = message.removeprefix("Payload validation error: ")
        text = _PROPERTY.sub("", text).strip("'")
        return {fields[found.group(1)]: text}, None, position
    return {}, message, position


def typed_text(text: str) -> str:
    """A textarea's text as typed: browsers post its line breaks as CRLF (HTML's form
    encoding), which the stored code should not gain."""
    return text.replace("\r\n", "\n")
