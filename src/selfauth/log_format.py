"""`SELFAUTH_LOG_FORMAT=json`: the server's log lines (selfauth's loggers and uvicorn's) as one
JSON object per line, for log shippers that parse JSON (docs/operations.md).

The standard library's logging with one small Formatter: every line has `time` (UTC, ISO 8601
with milliseconds), `level`, `logger` and `message`, plus `exception` (the traceback's text)
when there is one. The default (`text`) leaves uvicorn's own configuration untouched.
"""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from uvicorn.config import LOGGING_CONFIG


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # default=str: an argument orjson cannot serialise still leaves a parseable line
        return orjson.dumps(line, default=str).decode()


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration with every formatter made JSON, and selfauth's loggers
    on the same handler at `level` (without it they reach only Python's last-resort handler,
    which prints bare messages of warnings and worse)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    json_formatter = {"()": f"{__name__}.JsonFormatter"}
    config["formatters"] = {"default": json_formatter, "access": dict(json_formatter)}
    config["loggers"]["selfauth"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
