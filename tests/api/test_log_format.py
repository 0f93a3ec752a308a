"""SELFAUTH_LOG_FORMAT=json: the server's own log lines (selfauth's, uvicorn's, its access log)
are one JSON object per line with time, level, logger and message; by default they stay text.
The exception field is checked on the formatter itself: no HTTP request makes the server log a
traceback on purpose."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from selfauth.log_format import JsonFormatter
from tests.support.server import serving


def test_json_log_lines(tmp_path: Path) -> None:
    env = {"SELFAUTH_LOG_FORMAT": "json", "SELFAUTH_ACCESS_LOG": "1"}
    with serving("sqlite", tmp_path, env) as running:
        assert httpx.get(f"{running.base_url}/healthz").status_code == 200
        assert httpx.get(f"{running.base_url}/no-such-page").status_code == 404
    lines = [line for line in running.log().splitlines() if line.strip()]
    assert lines
    parsed: list[dict[str, Any]] = [json.loads(line) for line in lines]  # every line is JSON
    for entry in parsed:
        assert {"time", "level", "logger", "message"} <= entry.keys(), entry
        assert datetime.fromisoformat(entry["time"]).tzinfo is not None
    loggers = {entry["logger"] for entry in parsed}
    assert {"selfauth.cli", "uvicorn.error", "uvicorn.access"} <= loggers, loggers
    banner = next(e for e in parsed if e["logger"] == "selfauth.cli")
    assert banner["level"] == "INFO" and "sqlite database" in banner["message"]
    access = [e["message"] for e in parsed if e["logger"] == "uvicorn.access"]
    assert any("GET /healthz" in m and "200" in m for m in access), access
    assert any("GET /no-such-page" in m and "404" in m for m in access), access


def test_text_log_lines_by_default(tmp_path: Path) -> None:
    with serving("sqlite", tmp_path) as running:
        assert httpx.get(f"{running.base_url}/healthz").status_code == 200
    log = running.log()
    assert "sqlite database; issuer" in log
    assert not any(line.startswith("{") for line in log.splitlines())


def test_an_exception_is_its_own_field() -> None:
    try:
        raise ValueError("the cause")
    except ValueError:
        record = logging.LogRecord(
            "selfauth.web", logging.ERROR, __file__, 1, "failed on %s", ("/x",), sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed on /x"
    assert entry["level"] == "ERROR" and entry["logger"] == "selfauth.web"
    assert (
        entry["exception"].startswith("Traceback") and "ValueError: the cause" in entry["exception"]
    )
