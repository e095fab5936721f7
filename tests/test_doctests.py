"""The examples in the library's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "pytest_roofline",
    "pytest_roofline.bound",
    "pytest_roofline.dtypes",
    "pytest_roofline.hardware",
    "pytest_roofline.kernels",
    "pytest_roofline.serving",
    "pytest_roofline.sweep",
    "pytest_roofline.transformer",
    "pytest_roofline.units",
    "pytest_roofline.report.chart",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert outcome.attempted > 0, f"{name} has no examples: drop it from MODULES"
    assert outcome.failed == 0
