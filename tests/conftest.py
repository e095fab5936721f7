"""Shared fixtures: plugin tests run real pytest subprocesses on real test files."""

from __future__ import annotations

import pytest

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
