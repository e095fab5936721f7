"""The run lock (machine/locks.py): reentrant in its process, exclusive between processes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytest_roofline.machine.locks import RunLock


def test_runlock_without_folder_is_a_no_op(tmp_path: Path) -> None:
    lock = RunLock(None)
    with lock.held(), lock.held():
        pass
    assert list(tmp_path.iterdir()) == []


def test_runlock_is_reentrant_and_exclusive(
    tmp_path: Path, can_lock: Callable[[Path], bool]
) -> None:
    lock = RunLock(tmp_path)
    path = tmp_path / "measure.lock"
    with lock.held():
        assert not can_lock(path)
        with lock.held():
            assert not can_lock(path)
        assert not can_lock(path)  # still held by the outer block
    assert can_lock(path)
    with lock.held():  # and it can be taken again
        assert not can_lock(path)
    assert can_lock(path)
