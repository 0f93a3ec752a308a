"""Timestamps in Auth0's format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from selfauth.domain.clock import iso


def test_timestamps_have_milliseconds_and_a_z() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"


def test_other_offsets_are_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=plus_two)) == "2026-01-02T01:04:05.000Z"
