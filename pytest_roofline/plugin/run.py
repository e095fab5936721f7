"""What the parts of the plugin read and write of a run: the run's state as an interface.

:class:`~.session.RooflineSession` holds it; :mod:`.assembly`, :mod:`.verdicts` and
:mod:`.finish` work on it through this interface, so none of them imports the session
that imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pytest

    from pytest_roofline.machine.calibration import SharedCalibration
    from pytest_roofline.plugin.fixture import CurrentRecorder
    from pytest_roofline.plugin.settings import Settings
    from pytest_roofline.specs.hardware import Hardware
    from pytest_roofline.verdict.baseline import Baseline
    from pytest_roofline.verdict.record import Result
    from pytest_roofline.verdict.rows import Rows


class Run(Protocol):
    """One pytest run's roofline state."""

    config: pytest.Config
    settings: Settings
    is_worker: bool
    local: SharedCalibration
    baseline: Baseline | None
    baseline_note: str
    same_machine: bool
    rows: Rows
    made: dict[str, dict[str, Any]]
    records: list[dict[str, Any]]
    local_spec: dict[str, Any] | None
    write_error: str
    saved: str
    written: list[tuple[str, bool]]

    @property
    def results(self) -> list[Result]: ...

    def auto(self) -> Hardware: ...

    def header(self) -> list[str]: ...

    def fixture_value(self) -> CurrentRecorder: ...
