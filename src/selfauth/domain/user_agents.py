"""A User-Agent header summarised as Auth0's logs show it: `Chrome 120.0.0 / Mac OS X 10.15.7`
(browser and version, then system and version, each version in three parts).

A few patterns cover the browsers and systems people use; anything else is named by its first
product token (`curl 8.5.0`) or `Other 0.0.0`. Headers repeat, so answers are cached: the logs'
writer calls this for each event it stores, off the request's path."""

from __future__ import annotations

import re
from functools import lru_cache

OTHER = "Other 0.0.0"
_MOBILE_SYSTEMS = ("iOS ", "Android ")

# First match wins: the more specific browser (Edge, Opera) before the engine it reuses.
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/([\d.]+)")),
    ("Opera", re.compile(r"\bOPR/([\d.]+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/([\d.]+)")),
    ("Firefox iOS", re.compile(r"\bFxiOS/([\d.]+)")),
    ("Chrome Mobile iOS", re.compile(r"\bCriOS/([\d.]+)")),
    ("Firefox Mobile", re.compile(r"\bMobile\b.*\bFirefox/([\d.]+)")),
    ("Firefox", re.compile(r"\bFirefox/([\d.]+)")),
    ("HeadlessChrome", re.compile(r"\bHeadlessChrome/([\d.]+)")),
    ("Chrome Mobile", re.compile(r"\bChrome/([\d.]+) Mobile\b")),
    ("Chrome", re.compile(r"\bChrome/([\d.]+)")),
    ("Mobile Safari", re.compile(r"\bVersion/([\d.]+).*\bMobile/")),
    ("Safari", re.compile(r"\bVersion/([\d.]+).*\bSafari/")),
)
_SYSTEMS = (
    ("iOS", re.compile(r"\b(?:iPhone|CPU) OS ([\d_]+)")),
    ("Android", re.compile(r"\bAndroid ([\d.]+)")),
    ("Mac OS X", re.compile(r"\bMac OS X ([\d_.]+)")),
    ("Chrome OS", re.compile(r"\bCrOS \S+ ([\d.]+)")),
)
_WINDOWS = re.compile(r"\bWindows NT ([\d.]+)")
_WINDOWS_NAMES = {"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista"}
_PRODUCT = re.compile(r"^([A-Za-z][\w.+-]{0,40})/(\d[\w.]{0,20})")


def _version(raw: str) -> str:
    parts = [part for part in re.split(r"[._]", raw) if part.isdigit()][:3]
    return ".".join(parts + ["0"] * (3 - len(parts)))


def _browser(header: str) -> str:
    for name, pattern in _BROWSERS:
        found = pattern.search(header)
        if found:
            return f"{name} {_version(found.group(1))}"
    product = _PRODUCT.match(header)
    if product and product.group(1) != "Mozilla":
        return f"{product.group(1)} {_version(product.group(2))}"
    return OTHER


def _system(header: str) -> str:
    for name, pattern in _SYSTEMS:
        found = pattern.search(header)
        if found:
            return f"{name} {_version(found.group(1))}"
    windows = _WINDOWS.search(header)
    if windows:
        return f"Windows {_WINDOWS_NAMES.get(windows.group(1), windows.group(1))}"
    if "Linux" in header:
        return "Linux 0.0.0"
    return OTHER


@lru_cache(maxsize=1024)
def summary(header: str) -> str:
    """`{browser} {version} / {system} {version}`, as Auth0's `user_agent`."""
    return f"{_browser(header)} / {_system(header)}"


def is_mobile(summarised: str | None) -> bool:
    """Auth0's `isMobile`, read from a summary: a phone's or tablet's system or browser."""
    if not summarised:
        return False
    browser, _, system = summarised.partition(" / ")
    return system.startswith(_MOBILE_SYSTEMS) or browser.startswith(("Mobile ", "Chrome Mobile"))
