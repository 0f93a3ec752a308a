"""Which attributes an export writes, under which names: Auth0's `fields` of an export job.

Every exported value comes from the management view of a user, which has no password hash;
`password_hash` is refused by name too, so asking for it is an error, not a silent gap.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import orjson

from selfauth.domain.users.model import User
from selfauth.domain.users.views import management_view
from selfauth.errors import InvalidBody

FORMATS = ("json", "csv")
CSV_MAX_FIELDS = 30
METADATA = ("user_metadata", "app_metadata")
EXPORTABLE = frozenset(
    {
        "user_id",
        "email",
        "email_verified",
        "username",
        "phone_number",
        "phone_verified",
        "given_name",
        "family_name",
        "name",
        "nickname",
        "picture",
        "blocked",
        "identities",
        "user_metadata",
        "app_metadata",
        "created_at",
        "updated_at",
        "last_login",
        "last_ip",
        "logins_count",
        "last_password_reset",
    }
)
CSV_DEFAULT = (
    "user_id",
    "email",
    "email_verified",
    "username",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "created_at",
    "updated_at",
    "logins_count",
)


# One of a user's identities by position, as Auth0's exports name it:
# `identities[0].connection`, `identities[1].provider`, `identities[0].isSocial`...
_IDENTITY_FIELD = re.compile(
    r"^identities\[(0|[1-9][0-9]{0,2})\]\.(connection|provider|user_id|isSocial)$"
)


@dataclass(frozen=True)
class ExportField:
    name: str
    export_as: str

    @property
    def path(self) -> list[str | int]:
        """The steps to the value: keys of objects, and a position in `identities`."""
        identity = _IDENTITY_FIELD.match(self.name)
        if identity is not None:
            return ["identities", int(identity.group(1)), identity.group(2)]
        return list(self.name.split("."))


def _known(name: str) -> bool:
    if _IDENTITY_FIELD.match(name):
        return True
    root, _, rest = name.partition(".")
    return root in EXPORTABLE and (not rest or root in METADATA)


def parse_fields(raw: list[dict[str, Any]] | None, fmt: str) -> list[ExportField] | None:
    """The validated field list; `None` means the whole profile (JSON) or a default set (CSV)."""
    if not raw:
        return None if fmt == "json" else [ExportField(n, n) for n in CSV_DEFAULT]
    if fmt == "csv" and len(raw) > CSV_MAX_FIELDS:
        raise InvalidBody(
            f"Payload validation error: 'Array is too long ({len(raw)}), maximum "
            f"{CSV_MAX_FIELDS}' on property fields."
        )
    chosen: list[ExportField] = []
    for index, item in enumerate(raw):
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidBody(
                f"Payload validation error: 'Missing required property: name' on property "
                f"fields[{index}]."
            )
        if not _known(name):
            raise InvalidBody(
                f"Payload validation error: 'Unknown field {name}' on property fields[{index}]."
            )
        if fmt == "csv" and name in METADATA:
            raise InvalidBody(
                f"Payload validation error: 'CSV exports cannot include the whole {name} "
                f"object; name its fields ({name}.<field>)' on property fields[{index}]."
            )
        export_as = item.get("export_as") or name
        if not isinstance(export_as, str):
            raise InvalidBody(
                "Payload validation error: 'Expected type string' on property "
                f"fields[{index}].export_as."
            )
        chosen.append(ExportField(name, export_as))
    return chosen


def project(user: User, fields: list[ExportField] | None) -> dict[str, Any]:
    """One exported record; absent values are left out, as Auth0's exports do."""
    view = management_view(user)
    if fields is None:
        return view
    record: dict[str, Any] = {}
    for chosen in fields:
        value: Any = view
        for step in chosen.path:
            value = _step(value, step)
        if value is not None:
            record[chosen.export_as] = value
    return record


def _step(value: Any, step: str | int) -> Any:
    if isinstance(step, int):
        return value[step] if isinstance(value, list) and step < len(value) else None
    return value.get(step) if isinstance(value, dict) else None


def ndjson_line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


def csv_header(fields: list[ExportField]) -> bytes:
    return _csv_line([f.export_as for f in fields])


def csv_line(record: dict[str, Any], fields: list[ExportField]) -> bytes:
    return _csv_line([_cell(record.get(f.export_as)) for f in fields])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue().encode()
