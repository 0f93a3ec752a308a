"""Where tokens are signed: on the event loop when every core has a worker process, on
threads when the process has cores to spare (oauth/jwt.py), and how many cores count
(config.usable_cores: the ones the process may run on, not the machine's)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime

import jwt
import pytest

from selfauth.domain.keys.model import generate_rsa_key
from selfauth.oauth.jwt import TokenSigner

KEY = generate_rsa_key(datetime(2026, 1, 1, tzinfo=UTC))


def _signed_on(signer: TokenSigner) -> tuple[str, str]:
    """The thread `sign_async` signed on, and the token."""
    seen: list[str] = []
    sign = signer.sign

    def recording(*args: object, **kwargs: object) -> str:
        seen.append(threading.current_thread().name)
        return sign(*args, **kwargs)  # type: ignore[arg-type]

    signer.sign = recording  # type: ignore[method-assign]
    token = asyncio.run(signer.sign_async({"sub": "someone"}))
    return seen[0], token


def test_without_threads_tokens_are_signed_on_the_loop() -> None:
    name, token = _signed_on(TokenSigner(KEY, threads=0))
    assert name == threading.current_thread().name
    assert jwt.get_unverified_header(token)["kid"] == KEY.kid


def test_with_threads_tokens_are_signed_on_them() -> None:
    name, token = _signed_on(TokenSigner(KEY, threads=2))
    assert name.startswith("sign")
    assert jwt.get_unverified_header(token)["kid"] == KEY.kid


TASKSET = shutil.which("taskset")


@pytest.mark.skipif(TASKSET is None, reason="taskset (util-linux) is not installed")
def test_a_process_pinned_to_one_core_counts_one_worker() -> None:
    """`taskset -c 0 selfauth serve` (the anchors' one-core run) is one worker that signs
    inline, whatever the machine's count."""
    code = (
        "from selfauth.config import Settings, usable_cores;"
        "print(usable_cores(), Settings(database_url='sqlite:////tmp/x.db').worker_count)"
    )
    found = subprocess.run(
        [str(TASKSET), "-c", "0", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "SELFAUTH_WORKERS"},
    )
    assert found.stdout.split() == ["1", "1"]
