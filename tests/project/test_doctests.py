"""The examples in the library's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "pytest_roofline",
    "pytest_roofline.physics.bound",
    "pytest_roofline.core.dtypes",
    "pytest_roofline.specs.hardware",
    "pytest_roofline.specs.kernels",
    "pytest_roofline.specs.serving",
    "pytest_roofline.physics.sweep",
    "pytest_roofline.specs.transformer",
    "pytest_roofline.core.units",
    "pytest_roofline.report.chart",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert outcome.attempted > 0, f"{name} has no examples: drop it from MODULES"
    assert outcome.failed == 0
