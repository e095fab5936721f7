"""Signs of a busy machine: other processes' share of the cores, and the line that says so."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pytest_roofline.machine import busy
from pytest_roofline.machine.busy import (
    Mark,
    busy_line,
    mark,
    neighbour_share,
)

CORES = os.cpu_count() or 1


def test_the_kernels_counters_are_read_as_busy_seconds(tmp_path: Path) -> None:
    # proc(5): the first line is user nice system idle iowait irq softirq steal guest
    # guest_nice, in clock ticks. Busy = everything but idle and iowait (guest time is
    # already inside user): 100 + 5 + 50 + 3 + 2 + 10 = 170 ticks.
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 5 50 1000 20 3 2 10 7 0\ncpu0 50 2 25 500 10 1 1 5 3 0\n")
    found = mark(stat)
    assert found is not None
    assert found.busy == pytest.approx(170 / busy.TICKS)
    times = os.times()
    assert found.own == pytest.approx(times.user + times.system, abs=0.05)


@pytest.mark.parametrize("content", ["", "intr 1 2 3\n", "cpu  a b c d e\n", "cpu 1 2\n"])
def test_counters_the_machine_does_not_give_are_unknown(tmp_path: Path, content: str) -> None:
    stat = tmp_path / "stat"
    stat.write_text(content)
    assert mark(stat) is None
    assert mark(tmp_path / "missing") is None
    assert neighbour_share(None) is None


def test_the_share_is_others_busy_time_over_every_core() -> None:
    # Over 2 s the machine's cores were busy 3 core-seconds, 1 of them this process's:
    # others used 2 core-seconds of 2 s x CORES.
    since = Mark(wall=10.0, busy=100.0, own=5.0)
    until = Mark(wall=12.0, busy=103.0, own=6.0)
    assert neighbour_share(since, until) == pytest.approx(min(1.0, 2.0 / (2.0 * CORES)))
    # Clock ticks make the figures coarse: our own time can exceed the machine's count.
    assert neighbour_share(since, Mark(12.0, 100.5, 6.0)) == 0.0
    # Shorter than five ticks says nothing.
    assert neighbour_share(since, Mark(10.04, 101.0, 5.0)) is None


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux counts CPU time in /proc/stat")
def test_this_process_is_not_its_own_neighbour() -> None:
    # A busy loop in this process counts as our own time, not others'.
    since = mark()
    assert since is not None
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:
        pass
    until = mark()
    assert until is not None
    share = neighbour_share(since, until)
    assert share is not None
    # The cores cannot be busier than all of them: what others used is at most what our
    # own busy loop left, so our own time was taken out.
    ours = (until.own - since.own) / ((until.wall - since.wall) * CORES)
    assert ours > 0.2 / CORES
    assert share <= 1 - ours + 0.05


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux counts CPU time in /proc/stat")
def test_another_process_busy_shows_in_the_share() -> None:
    import subprocess
    import sys

    since = mark()
    neighbour = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nend = time.time() + 0.6\nwhile time.time() < end: pass",
        ]
    )
    neighbour.wait()
    share = neighbour_share(since)
    assert share is not None
    # One core busy for 0.6 s of the (longer) interval, on CORES cores.
    assert share >= 0.5 * 0.6 / (0.6 + 1.0) / CORES


def test_a_busy_machine_says_so_in_one_line_with_what_to_do() -> None:
    line = busy_line(0.62)
    assert line.startswith(f"the machine was busy: other processes used 62% of its {CORES} cores")
    assert "OMP_NUM_THREADS" in line
    assert "\n" not in line
    assert busy_line(busy.BUSY_SHARE) == ""
    assert busy_line(None) == ""


def test_blas_threads_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "threadpoolctl", None)  # not installed
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert busy.blas_threads() == CORES
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert busy.blas_threads() == 3
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert busy.blas_threads() == 1
