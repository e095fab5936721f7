"""One lock shared by every process of a test run, so measurements do not overlap.

Under pytest-xdist several workers share the machine. A timing taken while another worker
runs its own GEMM is slowed down, and worse, ceilings calibrated while another worker
computes come out too low, so a later, quiet measurement would look "faster than the
roofline". Holding this lock while timing (and while calibrating) makes each measurement
see the machine the way a single-process run does; the rest of each test still runs in
parallel.

The lock is an advisory ``flock`` on a file in a folder the controller hands to its
workers. Where ``fcntl`` is missing (Windows) the lock is a no-op.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class RunLock:
    """An exclusive inter-process lock on ``folder/measure.lock`` (or none at all)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._depth = 0
        self._handle: int | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the body; re-entrant within one process."""
        if self.folder is None or fcntl is None:
            yield
            return
        if self._depth == 0:
            self._handle = os.open(self.folder / "measure.lock", os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._handle, fcntl.LOCK_EX)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._handle is not None:
                fcntl.flock(self._handle, fcntl.LOCK_UN)
                os.close(self._handle)
                self._handle = None
