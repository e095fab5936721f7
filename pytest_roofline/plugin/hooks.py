"""Hook specifications other plugins implement to extend pytest-roofline.

Registered through ``pytest_addhooks``; implement them in a ``conftest.py`` or a plugin::

    def pytest_roofline_hardware(config):
        return [Hardware(name="my-box", peak_flops={"fp32": "2 TFLOP/s"},
                         memory_bandwidth="100 GB/s")]

    def pytest_roofline_result(config, result):
        print(result.nodeid, result.utilization)

``pytest_roofline_models`` adds models, ``pytest_roofline_report`` writes a report of
your own at the end, and ``pytest_roofline_detect_hardware`` names the device behind
``hardware="auto"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pluggy import HookspecMarker

if TYPE_CHECKING:
    from pytest_roofline.specs.hardware import Hardware
    from pytest_roofline.specs.transformer import Transformer
    from pytest_roofline.verdict.record import Result

hookspec = HookspecMarker("pytest")


@hookspec
def pytest_roofline_hardware(config: Any) -> list[Hardware]:  # type: ignore[empty-body]
    """Return hardware to add to this run's catalog (called once, when the run starts).

    Every implementation's list is added; a name that clashes with another is a usage
    error.
    """


@hookspec
def pytest_roofline_result(config: Any, result: Result) -> None:
    """Observe one roofline result (on the pytest-xdist controller, once per test)."""


@hookspec
def pytest_roofline_report(config: Any, results: list[Result], document: dict[str, Any]) -> None:
    """Write a report of your own from every result of the run (once, at the end)."""


@hookspec
def pytest_roofline_models(config: Any) -> list[Transformer]:  # type: ignore[empty-body]
    """Return models to add to this run's model catalog (called once, at the start)."""


@hookspec(firstresult=True)
def pytest_roofline_detect_hardware(config: Any) -> str | Hardware | None:
    """Name the device the tests run on, for ``hardware="auto"``; None to pass.

    The first implementation that returns a name or a Hardware wins; when none does,
    ``auto`` tries NVML and torch, then falls back to ``local``.
    """
