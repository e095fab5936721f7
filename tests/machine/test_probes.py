"""The numpy probes behind ``local``: what each one moves, and what it counts."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_roofline.machine import probes
from pytest_roofline.machine.probes import (
    CacheProbe,
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


KiB = 2**10


def test_cache_probe_returns_a_read_rate_and_a_copy_rate() -> None:
    probe = CacheProbe(16 * KiB)
    assert probe.a.nbytes + probe.b.nbytes == 16 * KiB  # two fp32 arrays share it
    rates = probe.run(1)
    assert len(rates) == 2
    assert all(rate > 0 for rate in rates)


def test_stream_arrays_are_four_times_the_last_level_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # STREAM's rule (McCalpin, stream.c): each array at least 4x the sum of the caches.
    monkeypatch.setattr(probes, "last_level_cache_bytes", lambda: 32 * 2**20)
    assert probes.stream_bytes() == 128 * 2**20
    monkeypatch.setattr(probes, "last_level_cache_bytes", lambda: None)
    assert probes.stream_bytes() == probes.MIN_STREAM_BYTES
    monkeypatch.setattr(probes, "last_level_cache_bytes", lambda: 2**40)
    assert probes.stream_bytes() == probes.MAX_STREAM_BYTES
