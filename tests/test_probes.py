"""The numpy probes behind ``local``: what each one moves, and what it counts."""

from __future__ import annotations

import numpy as np

from pytest_roofline.machine.probes import (
    CopyProbe,
    GemvProbe,
)


def test_a_copy_can_stream_another_probe_s_matrix_without_a_second_allocation() -> None:
    gemv = GemvProbe(nbytes=2**20, columns=256)
    copy = CopyProbe(2, source=gemv.matrix)
    # STREAM counts a copy as one read and one write of every byte.
    assert copy.bytes == 2 * gemv.matrix.nbytes
    assert np.shares_memory(copy.source, gemv.matrix)
    copy.target[:] = 0
    rates = copy.run(2)
    assert len(rates) == 2
    assert all(rate > 0 for rate in rates)
    assert copy.target.tobytes() == gemv.matrix.tobytes()


def test_a_copy_of_its_own_arrays_is_split_over_its_threads() -> None:
    copy = CopyProbe(3, nbytes=3 * 2**16)
    assert copy.bytes == 2 * 3 * 2**16
    assert [c.stop - c.start for c in copy.chunks] == [copy.source.size // 3] * 3
