"""The User-Agent summary the tenant logs keep (Auth0's `Chrome 120.0.0 / Mac OS X 10.15.7`)
and the `isMobile` read from it."""

from __future__ import annotations

import pytest

from selfauth.domain.user_agents import is_mobile, summary

MAC_CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.43 Mobile Safari/537.36"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


@pytest.mark.parametrize(
    ("header", "expected", "mobile"),
    [
        (MAC_CHROME, "Chrome 120.0.0 / Mac OS X 10.15.7", False),
        (IPHONE, "Mobile Safari 17.0.0 / iOS 17.0.0", True),
        (ANDROID, "Chrome Mobile 120.0.6099 / Android 14.0.0", True),
        (WINDOWS_EDGE, "Edge 120.0.2210 / Windows 10.0.0", False),
        (FIREFOX, "Firefox 121.0.0 / Linux 0.0.0", False),
        ("curl/8.5.0", "curl 8.5.0 / Other 0.0.0", False),
        ("Mozilla/5.0", "Other 0.0.0 / Other 0.0.0", False),
        ("", "Other 0.0.0 / Other 0.0.0", False),
    ],
)
def test_summary_and_mobile(header: str, expected: str, mobile: bool) -> None:
    assert summary(header) == expected
    assert is_mobile(summary(header)) is mobile


def test_no_summary_is_not_mobile() -> None:
    assert is_mobile(None) is False
