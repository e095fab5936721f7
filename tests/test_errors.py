"""The errors users see (errors.py): values in messages are cut to a readable length."""

from __future__ import annotations

from pytest_roofline.errors import (
    clip,
    cut,
)


def test_values_in_messages_are_cut() -> None:
    assert cut("short") == "'short'"
    long = cut("x" * 100_000)
    assert len(long) < 120
    assert long.endswith("… (100002 characters)")
    assert clip("y" * 500).endswith("…")
    assert len(clip("y" * 500)) == 300
