"""The plugin's run state, kept in ``config.stash`` (never in module globals): a run
started inside a test (pytester) has a config, and so a state, of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_roofline.plugin.run import Run  # noqa: F401 (the key's type)

session_key = pytest.StashKey["Run"]()
"""The run's session, once the run uses the plugin."""
running_key = pytest.StashKey[list[pytest.Item]]()
"""The tests being run, innermost last."""
