"""A multipart/form-data body read as a stream: one file part goes straight to disk.

Starlette's form parser would spool the file to a temporary file first; an import file may be
gigabytes, so it is written once, where the job will read it, and never held in memory.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from selfauth.errors import InvalidBody, PayloadTooLarge

if TYPE_CHECKING:  # a typing-only name in python_multipart
    from python_multipart.multipart import MultipartCallbacks

FIELD_MAX_BYTES = 64 * 1024


@dataclass
class StreamedForm:
    fields: dict[str, str] = field(default_factory=dict)
    file_bytes: int | None = None  # None: no file part came


@dataclass
class _State:
    file_name: str
    target: Path
    max_file_bytes: int
    form: StreamedForm = field(default_factory=StreamedForm)
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_field: bytes = b""
    header_value: bytes = b""
    name: str | None = None
    is_file: bool = False
    buffer: bytearray = field(default_factory=bytearray)
    out: IO[bytes] | None = None
    problem: Exception | None = None


async def stream_form(
    request: Request, *, file_name: str, target: Path, max_file_bytes: int
) -> StreamedForm:
    """Parse the body; the part called `file_name` is written to `target`."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidBody("The request must be multipart/form-data with a users file part.")
    state = _State(file_name, target, max_file_bytes)
    parser = MultipartParser(boundary, _callbacks(state))
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except FormParserError as exc:  # a malformed body is the caller's error
                raise InvalidBody(f"The multipart/form-data body is malformed ({exc}).") from exc
            if state.problem is not None:
                raise state.problem
        parser.finalize()
    except Exception:
        await asyncio.to_thread(target.unlink, missing_ok=True)
        raise
    finally:
        if state.out is not None:
            state.out.close()
    return state.form


def _callbacks(state: _State) -> MultipartCallbacks:
    def on_part_begin() -> None:
        state.headers.clear()
        state.buffer.clear()
        state.name, state.is_file = None, False

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.header_value += data[start:end]

    def on_header_end() -> None:
        state.headers[state.header_field.lower()] = state.header_value
        state.header_field, state.header_value = b"", b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(state.headers.get(b"content-disposition", b""))
        state.name = options.get(b"name", b"").decode("utf-8", "replace")
        state.is_file = state.name == state.file_name
        if state.is_file:
            if state.form.file_bytes is not None:
                state.problem = InvalidBody(f"Only one {state.file_name} file is accepted.")
                return
            state.form.file_bytes = 0
            state.out = state.target.open("wb")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.problem is not None:
            return
        if state.is_file and state.out is not None:
            state.form.file_bytes = (state.form.file_bytes or 0) + end - start
            if state.form.file_bytes > state.max_file_bytes:
                state.problem = PayloadTooLarge(
                    f"The users file is larger than {state.max_file_bytes} bytes."
                )
                return
            state.out.write(data[start:end])
        else:
            state.buffer += data[start:end]
            if len(state.buffer) > FIELD_MAX_BYTES:
                state.problem = PayloadTooLarge(f"Form field {state.name} is too large.")

    def on_part_end() -> None:
        if state.is_file and state.out is not None:
            state.out.close()
            state.out = None
        elif state.name:
            state.form.fields[state.name] = state.buffer.decode("utf-8", "replace")

    return {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }
