"""Debian's Chromium for the browser tests (tests/browser), as Playwright launches it here.

`scripts/ensure-chromium` (run by `make test`) installs it; Playwright's own browser download
cannot run on this machine. Without the background-networking flags Chromium keeps calling
hosts this machine cannot reach."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium (as root)")


def launch(playwright: Playwright) -> Browser:
    require_chromium()
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def problems_of(page: Page) -> list[str]:
    """What goes wrong in `page` from now on: console errors (a CSP refusal among them, which
    Chromium may report as a warning) and uncaught script errors. A test asserts it empty."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" or "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems
