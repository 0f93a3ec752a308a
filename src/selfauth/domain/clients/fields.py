"""Building blocks of the client body models: the string formats Auth0's schema names and its
"too few properties" rule, worded as Auth0's validator words them."""

from __future__ import annotations

from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, model_validator
from pydantic_core import PydanticCustomError

from selfauth.domain.body_models import Closed


def _format_error(name: str, value: str) -> PydanticCustomError:
    return PydanticCustomError(
        "format",
        "Object didn't pass validation for format {format}: {value}",
        {"format": name, "value": value[:200]},
    )


def _absolute(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc)


def _absolute_or_empty(value: str) -> str:
    if value and not _absolute(value):
        raise _format_error("absolute-uri-or-empty", value)
    return value


def _https_or_empty(value: str) -> str:
    if value and not (_absolute(value) and urlsplit(value).scheme == "https"):
        raise _format_error("absolute-https-uri-with-placeholders-or-empty", value)
    return value


def _url(value: str) -> str:
    if not _absolute(value):
        raise _format_error("url", value)
    return value


AbsoluteUriOrEmpty = Annotated[str, AfterValidator(_absolute_or_empty)]
HttpsUriOrEmpty = Annotated[str, AfterValidator(_https_or_empty)]
Url = Annotated[str, AfterValidator(_url)]


class AtLeastOneProperty(Closed):
    """Auth0's `minProperties: 1` on a nested object."""

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        count = len(self.model_fields_set)
        if count < 1:
            raise PydanticCustomError(
                "too_few_properties",
                "Too few properties defined ({count}), minimum 1",
                {"count": count},
            )
        return self
