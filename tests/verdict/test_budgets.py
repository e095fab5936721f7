"""Budgets (verdict/budgets.py): min_utilization as users write it, checked before a test
runs."""

from __future__ import annotations

import math

import pytest

from pytest_roofline.errors import DeclarationError
from pytest_roofline.verdict.budgets import check_budget


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.4, 0.4), (1, 1.0), (1.0, 1.0), ("40%", 0.4), (" 40 % ", 0.4), ("0.25", 0.25), (None, None)],
)
def test_check_budget_accepts(value: object, expected: float | None) -> None:
    assert check_budget(value, "here") == expected


@pytest.mark.parametrize("value", [0, 0.0, -0.1, 1.5, math.nan, True, False, "abc", "", [0.4]])
def test_check_budget_rejects(value: object) -> None:
    with pytest.raises(DeclarationError, match=r"^here: min_utilization must be") as caught:
        check_budget(value, "here")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("value", "hint"), [(40, "0.4"), (75.0, "0.75"), ("90", "0.9")])
def test_check_budget_suggests_a_fraction_for_a_percentage(value: object, hint: str) -> None:
    with pytest.raises(DeclarationError, match=rf"did you mean {hint}\?"):
        check_budget(value, "here")
