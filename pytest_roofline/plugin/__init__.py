"""The pytest hooks of pytest-roofline, and nothing else.

Each hook hands its work to the run's :class:`~.session.RooflineSession`, which is set
up only when the run uses the plugin: an option, an ini key or a
``[tool.pytest-roofline]`` table says so when pytest starts; otherwise the first test
that carries the marker or asks for the fixture does. A run with neither (most runs in
an environment where the plugin is installed) loads none of the models, catalogs or
numpy.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Generator
from typing import TYPE_CHECKING

import pytest

from pytest_roofline.plugin import header, hooks, options
from pytest_roofline.plugin.stash import running_key, session_key

if TYPE_CHECKING:
    from pytest_roofline.plugin.fixture import CurrentRecorder
    from pytest_roofline.plugin.run import Run


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(trylast=True)  # after the cache provider has set config.cache
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", options.MARKER_HELP)
    config.stash[running_key] = []
    config.pluginmanager.register(fixture_plugin(config), "roofline-fixture")
    distributed = hasattr(config, "workerinput") or getattr(config.option, "dist", "no") != "no"
    if distributed or options.given(config):
        start(config)


def start(config: pytest.Config) -> Run:
    """The run's session, set up on first need.

    The session's module is loaded here, not when pytest imports the plugin: it brings
    the models, the catalogs and the machine layer, which a run that uses no roofline
    test must not pay for (benchmarks/overhead.py counts it). This is the one import of
    our own inside a function, and it is there for that cost, not to break a cycle.
    """
    found = config.stash.get(session_key, None)
    if found is None:
        module = importlib.import_module("pytest_roofline.plugin.session")
        made: Run = module.RooflineSession(config)
        config.stash[session_key] = found = made
        config.pluginmanager.register(found, "roofline-session")
    return found


def pytest_report_header(config: pytest.Config) -> str | list[str]:
    found = config.stash.get(session_key, None)
    if found is not None:
        lines: list[str] = found.header()
        return lines
    return header.local_line(header.cached_local(config), "cached")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if session_key in config.stash:
        return
    for item in items:
        if item.get_closest_marker("roofline") is not None or "roofline" in getattr(
            item, "fixturenames", ()
        ):
            start(config)
            return


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    running = item.config.stash[running_key]
    running.append(item)
    try:
        return (yield)
    finally:
        running.pop()


def fixture_plugin(config: pytest.Config) -> types.ModuleType:
    """The ``roofline`` fixture of one run, as a plugin of its own.

    The fixture knows its run's config from here rather than by asking pytest for
    ``request``: a fixture argument cost every test that uses the fixture about 160k
    instructions more (benchmarks/overhead.py), half of what the plugin adds to a test
    on top of pytest's own work.
    """

    @pytest.fixture(scope="session", name="roofline")
    def roofline() -> CurrentRecorder:
        """Declare, measure and report the running test's work against its roofline bound.

        ``roofline.measure(fn, *args)`` times ``fn``; ``roofline.report(seconds=...)``
        takes a figure measured elsewhere; ``roofline.declare(kernel)`` declares the work
        when the marker cannot (parametrized shapes). The verdict comes when the test
        ends.

        Session scope: one object serves the session and always speaks for the running
        test's Recorder. A function-scoped fixture cost pytest a setup and a teardown per
        test, more than the roofline work of a test that reports a precomputed figure.
        """
        return start(config).fixture_value()

    holder = types.ModuleType("pytest_roofline.plugin.run_fixture")
    holder.roofline = roofline  # type: ignore[attr-defined]
    return holder
