"""Files written whole or not at all (core/atomic.py): a temporary file, then a rename."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pytest_roofline.core import atomic


def test_a_write_error_names_the_target_not_the_temporary_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OSError, match="a-file is a file, not a folder") as caught:
        atomic.make_folder(blocker / "sub" / "r.json")
    assert caught.value.filename == str(blocker / "sub" / "r.json")
    target = tmp_path / "missing" / "r.json"
    with pytest.raises(OSError, match="no folder") as missing:
        atomic.write_text(target, "x")
    assert missing.value.filename == str(target)
    assert ".tmp" not in str(missing.value)


def test_a_dead_writer_s_leftover_goes_at_once_a_live_one_s_stays(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "r.json"
    host = atomic._WRITER.rpartition("-")[0]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    left = tmp_path / f".r.json.{host}-{dead}.abc.tmp"
    alive = tmp_path / f".r.json.{host}-{os.getpid()}.def.tmp"
    elsewhere = tmp_path / f".r.json.otherhost-{dead}.ghi.tmp"
    for leftover in (left, alive, elsewhere):
        leftover.write_text("half")
    atomic.write_text(target, "whole")
    assert not left.exists()
    assert alive.exists()
    assert elsewhere.exists()  # another host's writer may still be at work: its age decides


def test_a_killed_writer_s_leftovers_go_with_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    old = tmp_path / ".r.json.abc123.tmp"
    fresh = tmp_path / ".r.json.def456.tmp"  # a writer at work right now
    other = tmp_path / ".other.json.abc123.tmp"
    for leftover in (old, fresh, other):
        leftover.write_text("half")
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    atomic.write_text(target, "whole")
    assert target.read_text() == "whole"
    assert not old.exists()
    assert fresh.exists()
    assert other.exists()
