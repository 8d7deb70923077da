"""One lock for the whole test run, shared by the two test processes (``-n 2``): the replicated
class of ``tests/test_deploy.py`` (two servers, their workers and a dozen live browser pages)
holds it alone, every other test holds it shared, except the plain unit-test files, which
start nothing and wait on nothing (``tests/conftest.py`` tells them apart).

On two cores that class alone keeps the machine several times over-subscribed for minutes.
Any test running beside it waited for a first chart, a step or a settled map several times
longer than it would alone, and CI runs failed on one such wait or another (90 s for a first
snapshot, 180 s for a settled t-SNE map). A test that has the machine to itself is the
situation its timeouts are written for.

Two ``flock`` files make it a lock that favours the one exclusive holder: it takes ``gate``
before waiting on ``main``, and every shared taker passes through ``gate`` first, so tests
starting meanwhile queue behind it instead of keeping ``main`` shared forever."""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _base() -> Path:
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"solo-{os.getpid()}")
    return Path(tempfile.gettempdir()) / f"seqviz-tests-{run}"


class MachineLock:
    def __init__(self, base: Path | None = None):
        base = base or _base()
        self._gate = open(f"{base}.gate", "a+")
        self._main = open(f"{base}.lock", "a+")

    @contextmanager
    def shared(self):
        fcntl.flock(self._gate, fcntl.LOCK_EX)  # behind an exclusive taker that came first
        fcntl.flock(self._gate, fcntl.LOCK_UN)
        fcntl.flock(self._main, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(self._main, fcntl.LOCK_UN)

    @contextmanager
    def alone(self):
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._main, fcntl.LOCK_EX)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self._main, fcntl.LOCK_UN)
