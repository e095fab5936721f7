"""The numpy probes that measure the ``local`` ceilings (see :mod:`.calibration`).

Each probe imports numpy when it is built, not when this module loads: numpy, and the
BLAS threads it starts, load only when something is measured, so a run that never uses
``local`` or ``measure()`` does not pay for them. The probes own their sizes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pytest_roofline.machine.host import last_level_cache_bytes

if TYPE_CHECKING:
    import numpy as np

GEMM_SIZE = 1024
"""The GEMM probe's matrices: large enough for BLAS to reach its peak, 24 MiB in fp64."""
MIN_STREAM_BYTES = 64 * 2**20
MAX_STREAM_BYTES = 512 * 2**20
"""Streamed arrays stay below this: a larger one takes seconds to allocate on a new VM."""


def stream_bytes() -> int:
    """Bytes per streamed array: four times the last-level cache (the STREAM rule, so
    the cache cannot hold a useful share of it between passes), at least 64 MiB."""
    llc = last_level_cache_bytes() or 0
    return min(MAX_STREAM_BYTES, max(MIN_STREAM_BYTES, 4 * llc))


REPEATS = 2
"""Timed runs of each probe per calibration pass."""

DTYPES = {"fp64": "float64", "fp32": "float32"}


def _rates(work: Callable[[], object], amount: float, repeats: int) -> list[float]:
    """``amount`` (FLOPs or bytes) per second of ``repeats`` timed runs of ``work``."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        elapsed = time.perf_counter() - start
        # A clock that did not move gives no rate: infinite, which the calibration drops.
        rates.append(amount / elapsed if elapsed > 0 else math.inf)
    return rates


class GemmProbe:
    """FLOP/s of a ``size``-square GEMM in ``dtype`` (2·n³ FLOPs), all BLAS threads."""

    def __init__(self, dtype: str, size: int = GEMM_SIZE) -> None:
        """``dtype``: "fp64" or "fp32"."""
        import numpy as np  # loaded by the probes only (see above)

        rng = np.random.default_rng(0)
        kind = DTYPES[dtype]
        self.a = rng.standard_normal((size, size)).astype(kind)
        self.b = rng.standard_normal((size, size)).astype(kind)
        self.out = np.empty((size, size), kind)
        self.flops = 2.0 * size**3
        self.run(1)  # warm-up: first-touch page faults, BLAS thread start

    def run(self, repeats: int = REPEATS) -> list[float]:
        import numpy as np  # loaded by the probes only (see above)

        return _rates(lambda: np.matmul(self.a, self.b, out=self.out), self.flops, repeats)


class CopyProbe:
    """Bytes/s of a copy split over ``threads`` threads, counted as STREAM counts it.

    One read and one write per byte copied (2 · nbytes), the way kernels declare their
    traffic. numpy releases the GIL while it copies, so the threads run in parallel.
    """

    def __init__(
        self, threads: int, nbytes: int | None = None, source: np.ndarray | None = None
    ) -> None:
        """``source``: an array to copy from (its bytes, whatever its dtype), so that two
        streams can share one allocation: on a virtual machine, touching each new page
        for the first time runs at about 1 GB/s, a large share of a calibration's time."""
        import numpy as np  # loaded by the probes only (see above)

        if source is None:
            self.source = np.ones((nbytes or stream_bytes()) // 8, np.float64)
        else:
            self.source = source.reshape(-1).view(np.uint8)
        count = self.source.size
        self.target = np.zeros(count, self.source.dtype)
        self.threads = threads
        self.chunks = [
            slice(i * count // threads, (i + 1) * count // threads) for i in range(threads)
        ]
        self.bytes = 2.0 * self.source.nbytes
        self.run(1)

    def _copy(self) -> None:
        import numpy as np  # loaded by the probes only (see above)

        if self.threads == 1:
            np.copyto(self.target, self.source)
            return
        workers = [
            threading.Thread(target=np.copyto, args=(self.target[c], self.source[c]))
            for c in self.chunks
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    def run(self, repeats: int = REPEATS) -> list[float]:
        return _rates(self._copy, self.bytes, repeats)


class GemvProbe:
    """Bytes/s read by a BLAS fp32 matrix-vector product (reads only, all BLAS threads).

    Only the matrix counts; the vectors are tiny.
    """

    def __init__(self, nbytes: int | None = None, columns: int = 4096) -> None:
        import numpy as np  # loaded by the probes only (see above)

        rows = max(1, (nbytes or stream_bytes()) // (4 * columns))
        self.matrix = np.ones((rows, columns), np.float32)
        self.vector = np.ones(columns, np.float32)
        self.out = np.empty(rows, np.float32)
        self.run(1)

    def run(self, repeats: int = REPEATS) -> list[float]:
        import numpy as np  # loaded by the probes only (see above)

        work = lambda: np.matmul(self.matrix, self.vector, out=self.out)  # noqa: E731
        return _rates(work, float(self.matrix.nbytes), repeats)


class CacheProbe:
    """Bytes/s of numpy reads (a dot product) and copies over a working set of ``nbytes``,
    which stays in the cache it was sized for, repeated to move ``traffic`` bytes a run.

    Small arrays cost a numpy call each, so the figure is what numpy code can reach at
    that size, not the hardware's peak; it only serves to keep kernels whose data sits in
    a cache from being called faster than the roofline.
    """

    def __init__(self, nbytes: int, traffic: int = 16 * 2**20) -> None:
        import numpy as np  # loaded by the probes only (see above)

        self.nbytes = nbytes
        count = max(256, nbytes // 2 // 4)  # two fp32 arrays share the working set
        self.a = np.ones(count, np.float32)
        self.b = np.ones(count, np.float32)
        self.calls = max(1, traffic // self.a.nbytes)
        self.run(1)

    def _dots(self) -> None:
        import numpy as np  # loaded by the probes only (see above)

        a, b = self.a, self.b
        for _ in range(self.calls):
            np.dot(a, b)

    def _copies(self) -> None:
        import numpy as np  # loaded by the probes only (see above)

        a, b = self.a, self.b
        for _ in range(self.calls):
            np.copyto(b, a)

    def run(self, repeats: int = REPEATS) -> list[float]:
        import numpy as np  # loaded by the probes only (see above)

        moved = float(self.calls * 2 * self.a.nbytes)  # dot: two reads; copy: read + write
        np.copyto(self.b, self.a)  # bring the working set back into its cache first
        return _rates(self._dots, moved, repeats) + _rates(self._copies, moved, repeats)


Probe = GemmProbe | CopyProbe | GemvProbe | CacheProbe
