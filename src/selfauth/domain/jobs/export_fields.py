"""Which attributes an export writes, under which names: Auth0's `fields` of an export job.

Every exported value comes from the management view of a user, which has no password hash;
`password_hash` is refused by name too, so asking for it is an error, not a silent gap.
"""

from __future__ import annotations

import csv
import io
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


@dataclass(frozen=True)
class ExportField:
    name: str
    export_as: str

    @property
    def path(self) -> list[str]:
        return self.name.split(".")


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
        root, _, rest = name.partition(".")
        if root not in EXPORTABLE or (rest and root not in METADATA):
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
            value = value.get(step) if isinstance(value, dict) else None
        if value is not None:
            record[chosen.export_as] = value
    return record


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
