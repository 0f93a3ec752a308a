"""The sandbox worker process on its own: it does not outlive the process that started it."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_worker_whose_parent_died_before_it_started_exits_at_once() -> None:
    """A worker is told its parent's pid; if its parent is not that process any more (the
    parent died before the worker could ask the kernel to follow it), it exits at once, even
    with its stdin still open."""
    not_its_parent = os.getppid()  # this test's parent, the worker's grandparent
    worker = subprocess.Popen(
        [sys.executable, "-I", "-m", "selfauth.hooks.worker", "--parent", str(not_its_parent)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert worker.wait(timeout=10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        for pipe in (worker.stdin, worker.stdout):
            assert pipe is not None
            pipe.close()


def test_a_worker_exits_at_the_end_of_its_stdin() -> None:
    worker = subprocess.Popen(
        [sys.executable, "-I", "-m", "selfauth.hooks.worker", "--parent", str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, errors = worker.communicate(b"\x00\x00\x00\x10{", timeout=10)  # cut off mid-request
    assert worker.returncode == 0
    assert errors == b""
