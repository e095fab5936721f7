"""Shared fixtures: plugin tests run real pytest subprocesses on real test files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_roofline.specs import catalog

pytest_plugins = ["pytester"]


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Run pytest in a subprocess in the pytester folder, as a user runs it.

    A wide terminal, so the short test summary lines are not cut.
    """
    monkeypatch.setenv("COLUMNS", "200")

    def run_pytest(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)

    return run_pytest


@pytest.fixture
def builtin_catalogs() -> Iterator[None]:
    """Names resolve in the library's own catalogs, not in the ones this run activated.

    Outside a pytest run no catalog is active; the plugin activates its run's own. This
    steps every active device and model catalog aside for one test, and back afterwards.
    """
    stepped_aside: list[catalog.Catalog[Any]] = []
    for kind in ("hardware", "model"):
        while (active := catalog.active(kind)) is not None:
            catalog.deactivate(active)
            stepped_aside.append(active)
    yield
    for each in reversed(stepped_aside):
        catalog.activate(each)
