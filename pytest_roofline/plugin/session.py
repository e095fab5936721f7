"""pytest glue: options, the marker, the ``roofline`` fixture, the verdict, the summary.

Every decision is made by the library; this module only translates pytest events into
calls of it. Results travel from each test to the reports through the test's
``user_properties`` (plain JSON-able values), which pytest-xdist carries to the
controller, so the controller alone writes the reports and the summary.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from pytest_roofline.core.names import normalize
from pytest_roofline.errors import (
    ConfigurationError,
    DeclarationError,
    RooflineError,
    clip,
    one_line,
)
from pytest_roofline.machine.binding_probes import PairedCalibration
from pytest_roofline.machine.calibration import SharedCalibration
from pytest_roofline.machine.detect import Detection, detect
from pytest_roofline.machine.host import fingerprint
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.plugin import assembly, finish, header, verdicts
from pytest_roofline.plugin.fixture import CurrentRecorder
from pytest_roofline.plugin.marker import parse_marker
from pytest_roofline.plugin.settings import (
    SETTING_KEYS,
    Settings,
    check_given,
    check_outputs,
    read_pyproject,
    resolve,
    split_pyproject,
)
from pytest_roofline.plugin.stash import running_key
from pytest_roofline.specs import catalog as catalogs
from pytest_roofline.specs.catalog import AUTO
from pytest_roofline.specs.hardware import Hardware
from pytest_roofline.verdict import baseline
from pytest_roofline.verdict.record import Result
from pytest_roofline.verdict.recorder import Recorder
from pytest_roofline.verdict.rows import Rows, error_record


class RooflineSession:
    """The run's roofline state: settings, catalog, and (on the controller) results."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.run_folder = self._run_folder(config)
        self.lock = RunLock(self.run_folder)
        self.local = SharedCalibration(
            self.run_folder,
            self.lock,
            store=assembly.PytestCacheStore.of(config),
            preset=self._preset(),
        )
        self.detection: Detection | None = None
        try:
            pyproject_path = config.rootpath / "pyproject.toml"
            values, hardware_tables, model_tables = split_pyproject(
                read_pyproject(pyproject_path), pyproject_path
            )
            self.models = assembly.models(config, model_tables, pyproject_path)
            catalogs.activate(self.models)
            self.catalog = assembly.hardware_catalog(
                self, config, hardware_tables, pyproject_path, values
            )
            catalogs.activate(self.catalog)
            self.settings = self._settings(config, values)
            baselines = {}
            for role, name in (("save", self.settings.save), ("compare", self.settings.compare)):
                if name is None:
                    continue
                try:  # a bad name now, not at the end of the run
                    baselines[role] = baseline.path_for(config.rootpath, name)
                except RooflineError as error:
                    origin = self.settings.origins.get(role, f"--roofline-{role}")
                    raise ConfigurationError(f"{origin}: {error}") from None
            if not self.is_worker:
                check_outputs(
                    self.settings,
                    Path(config.invocation_params.dir),
                    baselines,
                    {"--junit-xml": config.getoption("xmlpath", None)},
                )
            if normalize(self.settings.hardware or "") == AUTO and not self.is_worker:
                self.auto()  # a plugin's bad answer is a usage error, not a test's
        except RooflineError as error:
            raise pytest.UsageError(f"roofline: {error}") from None
        self._results: list[Result] = []
        self._pending: list[dict[str, Any]] = []
        """Records gathered and not yet validated into Results (only reports need them)."""
        self.records: list[dict[str, Any]] = []
        """Every record gathered, in the order they came (the terminal summary reads them)."""
        self.local_spec: dict[str, Any] | None = None
        """The ceilings of the first result on ``local``, which the summary states."""
        self.write_error = ""
        self.saved = ""
        self.written: list[tuple[str, bool]] = []
        self.made: dict[str, dict[str, Any]] = {}
        self.rows = Rows()
        """The JSON of this run's records (each device's figures dumped once)."""
        self._current: tuple[pytest.Item, Recorder] | None = None
        self._tearing_down: pytest.Item | None = None
        """The test whose teardown is running, if any."""
        self._setup_problems: dict[str, str] = {}
        """The one line of each test whose marker could not be used, until its row is made."""
        self.paired = PairedCalibration() if self.settings.paired else None
        # Probes are built on first use: a run that never beats or misses a measured
        # roof never builds one.
        self.prober = self.paired or PairedCalibration()
        self.baseline, self.baseline_note = self._baseline()
        self.same_machine = self.baseline is not None and self.baseline.fingerprint == fingerprint()
        if not self.is_worker:
            if self.settings.calibrate:
                self.local.measure()  # before any worker starts: a quiet machine
            elif self.run_folder is not None:
                self.local.cached()

    def _baseline(self) -> tuple[baseline.Baseline | None, str]:
        """The baseline to compare with, and a line for the header about it."""
        name = self.settings.compare
        if name is None:
            return None, ""
        try:
            loaded = baseline.load(baseline.path_for(self.config.rootpath, name), name)
        except RooflineError as error:
            if self.settings.compare_source.startswith("--"):
                raise pytest.UsageError(f"roofline: {error}") from None
            return None, f"roofline: {error}; comparing nothing"
        note = (
            f"roofline: comparing with baseline {name!r} ({len(loaded.entries)} results,"
            f" saved {loaded.created})"
        )
        if loaded.fingerprint != fingerprint():
            note += (
                "; it was saved on another machine or setup (fingerprints differ):"
                " utilization is normalized by each machine's own ceilings"
            )
        return loaded, note

    def _preset(self) -> Hardware | None:
        """On an xdist worker: the ceilings the controller handed over, if any."""
        text = getattr(self.config, "workerinput", {}).get("roofline_local")
        return Hardware.model_validate_json(text) if text else None

    def auto(self) -> Hardware:
        """``hardware="auto"``: detected once per run (see :mod:`.machine.detect`)."""
        if self.detection is None:
            answer = self.config.hook.pytest_roofline_detect_hardware(config=self.config)
            self.detection = detect(self.catalog, answer)
        return self.detection.hardware

    def _run_folder(self, config: pytest.Config) -> Path | None:
        """The folder the processes of an xdist run share (lock, calibration); else None."""
        if self.is_worker:
            folder = getattr(config, "workerinput", {}).get("roofline_run_folder")
            return Path(folder) if folder else None
        if getattr(config.option, "dist", "no") == "no":
            return None
        return Path(tempfile.mkdtemp(prefix="roofline-run-"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: hand each worker the run's shared folder."""
        if self.run_folder is not None:
            node.workerinput["roofline_run_folder"] = str(self.run_folder)
        held = self.local.cached()
        if held is not None:
            node.workerinput["roofline_local"] = held.model_dump_json()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        catalogs.deactivate(self.catalog)
        catalogs.deactivate(self.models)
        if self.run_folder is not None and not self.is_worker:
            shutil.rmtree(self.run_folder, ignore_errors=True)

    def _settings(self, config: pytest.Config, pyproject: dict[str, Any]) -> Settings:
        cli = {k: config.getoption("roofline_" + k) for k in SETTING_KEYS}
        check_given(cli, "--roofline-{dashed}")
        check_given(pyproject, "[tool.pytest-roofline] {pyproject_key}")
        # Flags are string ini keys read by the library, like every other setting, so a
        # bad value names its key ("maybe" as a bool ini was pytest's bare error).
        ini = {k: config.getini("roofline_" + k) for k in SETTING_KEYS}
        return resolve(
            [
                ("--roofline-{dashed}", cli),
                ("ini roofline_{key}", ini),
                ("[tool.pytest-roofline] {pyproject_key}", pyproject),
            ],
            self.catalog,
        )

    # -- per test ----------------------------------------------------------------------

    def recorder_of(self, item: pytest.Item, *, create: bool) -> Recorder | None:
        """The Recorder of ``item``, the test running now; made on first use if ``create``.

        Only the running test's Recorder is kept: a finished test leaves its Result, and
        keeping every Recorder alive made a long run's memory and garbage collections grow.
        """
        if self._current is not None and self._current[0] is item:
            return self._current[1]
        if not create:
            return None
        if self._tearing_down is item:
            # A fixture's teardown (a session- or module-scoped one, run after the last
            # test that used it): the test being torn down did not call, and has no work.
            raise DeclarationError(
                f"roofline called from a fixture's teardown, after {item.nodeid} ended: a"
                " verdict is taken when a test's body ends, so measure or report in the"
                " test itself, or in a fixture's setup"
            )
        recorder = self._new_recorder(item)
        self._current = (item, recorder)
        return recorder

    def _new_recorder(self, item: pytest.Item, **declared: Any) -> Recorder:
        """A Recorder for ``item`` with the run's settings and what its marker declared."""
        return Recorder(
            item.nodeid,
            catalog=self.catalog,
            default_hardware=self.settings.hardware,
            max_time=self.settings.max_time,
            lock=self.lock,
            raise_local=self.local.raise_to,
            paired=self.paired,
            prober=self.prober,
            rows=self.rows,
            strict_work=self.settings.strict_work,
            **declared,
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        self._tearing_down = item

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._current = None
        self._tearing_down = None
        marker = item.get_closest_marker("roofline")  # the closest wins, as for every marker
        if marker is None:
            return
        try:
            spec = parse_marker(marker.args, marker.kwargs, self.catalog)
            recorder = self._new_recorder(
                item,
                hardware=spec.hardware,
                min_utilization=spec.min_utilization,
                kernel=spec.kernel or spec.serving,
                max_drop=spec.max_drop,
            )
            problem = ""
        except RooflineError as error:
            problem = f"roofline: {error}"
            recorder = self._new_recorder(item)  # so the fixture still works
        except Exception as error:  # a bug of ours: this test fails, the others go on
            problem = f"roofline: the marker could not be read: {verdicts.bug(error)}"
            recorder = self._new_recorder(item)
        self._current = (item, recorder)
        if problem:
            self._setup_problems[item.nodeid] = problem
            pytest.fail(problem, pytrace=False)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.when == "setup" and report.failed and item.nodeid in self._setup_problems:
            # A marker that could not be used: the test never ran, and keeps its row.
            line = self._setup_problems.pop(item.nodeid)
            verdicts.attach(self, item, report, error_record(item.nodeid, line))
        if report.when != "call" or report.skipped:
            return report
        recorder = self.recorder_of(item, create=False)
        if recorder is None:
            return report
        if not (recorder.declared or item.get_closest_marker("roofline") is not None):
            return report  # an unmarked test that used the fixture but declared nothing
        try:
            verdicts.apply(self, item, report, verdicts.evaluate(self, report, call, recorder))
        finally:
            recorder.close(
                f"{item.nodeid} was judged when its body ended, so this call comes from a"
                " fixture's teardown (a session- or module-scoped fixture tears down after"
                " the last test that used it): measure or report in the test, or in a"
                " fixture's setup"
            )
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown" or self.is_worker:
            return
        for name, value in report.user_properties:
            if name == verdicts.PROPERTY and isinstance(value, str):
                record = self.made.pop(value, None)
                if record is None:  # from an xdist worker
                    record = self._from_worker(report.nodeid, value)
                self._pending.append(record)
                self.records.append(record)
                if (
                    self.local_spec is None
                    and record["hardware"] == "local"
                    and record["hardware_spec"]
                ):
                    self.local_spec = record["hardware_spec"]
                if self.config.hook.pytest_roofline_result.get_hookimpls():
                    result = self.results[-1]
                    self.config.hook.pytest_roofline_result(config=self.config, result=result)

    @staticmethod
    def _from_worker(nodeid: str, text: str) -> dict[str, Any]:
        """A record an xdist worker sent, or the row of a record that cannot be read back
        (the rest of the run keeps its results)."""
        try:
            record = json.loads(text)
            Result.model_validate(record)
        except (ValueError, RecursionError) as error:
            problem = one_line(nodeid, error) if isinstance(error, ValidationError) else error
            return error_record(
                nodeid,
                f"roofline: the worker's record could not be read back: {clip(str(problem))}",
            )
        assert isinstance(record, dict)
        return record

    @property
    def results(self) -> list[Result]:
        """Every result gathered so far, validated from the records on first use."""
        if self._pending:
            # Each Result gets its own copy of the hardware figures, which the records of
            # a device share: an observer changing one cannot change the others.
            self._results += [
                Result.model_validate(
                    {**record, "hardware_spec": copy.deepcopy(record["hardware_spec"])}
                )
                for record in self._pending
            ]
            self._pending.clear()
        return self._results

    # -- header, fixture, end of run -------------------------------------------------

    def header(self) -> list[str]:
        """The header's lines: the default hardware, and the baseline compared with."""
        name = self.settings.hardware or "local"
        lines = [self._describe_default(name)]
        if normalize(name) == AUTO:
            device = self.auto()
            assert self.detection is not None
            lines = [self._describe_default(device.name), "roofline: " + self.detection.note]
        return [*lines, self.baseline_note] if self.baseline_note else lines

    def _describe_default(self, name: str) -> str:
        if normalize(name) != "local":
            device = self.catalog.lookup(name)
            return header.device_line(device.model_dump())
        shown = self.local.shown()
        if shown is None:
            return header.UNMEASURED
        held, origin = shown
        return header.local_line(held.model_dump(), origin)

    def fixture_value(self) -> CurrentRecorder:
        """What the ``roofline`` fixture gives: the running test's Recorder, always."""
        return CurrentRecorder(self.running_recorder)

    def running_recorder(self) -> Recorder:
        """The Recorder of the test running now (made on first use for an unmarked test)."""
        __tracebackhide__ = True
        running = self.config.stash[running_key]
        if not running:
            raise DeclarationError(
                "the roofline fixture speaks for the running test, and none is running: use"
                " it from a test or a function-scoped fixture"
            )
        recorder = self.recorder_of(running[-1], create=True)
        assert recorder is not None
        return recorder

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        finish.terminal_summary(self, terminalreporter)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        finish.session_finish(self, session)
