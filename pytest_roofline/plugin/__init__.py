"""pytest glue: options, the marker, the ``roofline`` fixture, the verdict, the summary.

Every decision is made by the library; this module only translates pytest events into
calls of it. Results travel from each test to the reports through the test's
``user_properties`` (plain JSON-able values), which pytest-xdist carries to the
controller, so the controller alone writes the reports and the summary.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from pytest_roofline.core.units import (
    BANDWIDTH,
    FLOP_RATE,
    format_quantity,
)
from pytest_roofline.errors import (
    ConfigurationError,
    DeclarationError,
    RooflineError,
    clip,
    clip_path,
    cut,
    one_line,
)
from pytest_roofline.machine.binding_probes import PairedCalibration
from pytest_roofline.machine.calibration import (
    SharedCalibration,
    fingerprint,
)
from pytest_roofline.machine.detect import (
    Detection,
    detect,
)
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.plugin import hooks
from pytest_roofline.plugin.fixture import CurrentRecorder
from pytest_roofline.plugin.marker import (
    MARKER_HELP,
    parse_marker,
)
from pytest_roofline.plugin.options import (
    SETTING_KEYS,
    Settings,
    check_given,
    check_outputs,
    read_pyproject,
    resolve,
    split_pyproject,
)
from pytest_roofline.report import json_report, terminal, writers
from pytest_roofline.specs import files as hardware_files
from pytest_roofline.specs import hardware, transformer
from pytest_roofline.specs.hardware import (
    AUTO,
    Catalog,
    Hardware,
    default_catalog,
    normalize,
)
from pytest_roofline.specs.transformer import Transformer
from pytest_roofline.verdict import baseline
from pytest_roofline.verdict.record import (
    Result,
    Summary,
    error_record,
)
from pytest_roofline.verdict.recorder import (
    SAVING,
    Recorder,
    record_json,
    row_without_verdict,
)

SUMMARY_ROWS = 50
"""Rows of passing tests the terminal summary shows before counting the rest (-v: all)."""
PROPERTY = "roofline"
"""The user_properties key holding the whole result record as JSON."""
FLAT_PROPERTIES = (
    "utilization",
    "min_utilization",
    "bound_seconds",
    "measured_seconds",
    "bottleneck",
    "hardware",
    "outcome",
)

manager_key = pytest.StashKey["RooflineManager"]()


class RooflineWarning(UserWarning):
    """A roofline verdict that would have failed the test under ``--roofline-warn-only``."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("roofline", "roofline performance budgets")
    options: list[tuple[str, str, dict[str, Any], str]] = [
        (
            "hardware",
            "NAME",
            {},
            "default hardware of roofline tests: a catalog name or"
            " 'local' (this machine, measured)",
        ),
        ("json", "PATH", {}, "write every roofline result to PATH as JSON"),
        (
            "warn-only",
            "",
            {"action": "store_true"},
            "report roofline verdicts as warnings, never fail a test",
        ),
        (
            "min-utilization",
            "FRACTION",
            {},
            "default utilization budget in (0, 1] for tests whose marker sets none",
        ),
        ("max-time", "SECONDS", {}, "time budget of one roofline.measure() call"),
        (
            "markdown",
            "PATH",
            {},
            "write a Markdown gap report to PATH ('-': append to $GITHUB_STEP_SUMMARY)",
        ),
        ("html", "PATH", {}, "write a self-contained HTML gap report with roofline charts"),
        (
            "github-summary",
            "",
            {"action": "store_true"},
            "append the Markdown report to $GITHUB_STEP_SUMMARY when it is set",
        ),
        ("save", "NAME", {}, "save every result as baseline NAME (.roofline/NAME.json)"),
        (
            "compare",
            "NAME",
            {},
            "fail tests whose utilization dropped significantly since baseline NAME",
        ),
        (
            "max-drop",
            "FRACTION",
            {},
            "largest relative utilization drop --roofline-compare allows (default 0.1)",
        ),
        (
            "paired",
            "",
            {"action": "store_true"},
            "re-measure the binding ceiling of 'local' next to each test's measurement",
        ),
        (
            "hardware-file",
            "PATH",
            {"action": "append"},
            "a TOML file of custom hardware (the catalog's schema; may repeat)",
        ),
        (
            "calibrate",
            "",
            {"action": "store_true"},
            "measure the 'local' ceilings when the"
            " run starts (and show them in the header) instead of on first use",
        ),
    ]
    for name, metavar, extra, help_text in options:
        dest = "roofline_" + name.replace("-", "_")
        kwargs: dict[str, Any] = {"dest": dest, "default": None, "help": help_text, **extra}
        if metavar:
            kwargs["metavar"] = metavar
        group.addoption(f"--roofline-{name}", **kwargs)
        if extra.get("action") == "append":
            parser.addini(dest, help_text, type="paths", default=[])
        else:
            parser.addini(dest, help_text, type="string", default=None)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(trylast=True)  # after the cache provider has set config.cache
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    manager = RooflineManager(config)
    config.stash[manager_key] = manager
    config.pluginmanager.register(manager, "roofline-manager")


class PytestCacheStore:
    """Calibrations kept in pytest's cache (``.pytest_cache``), one per machine fingerprint."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    @classmethod
    def of(cls, config: pytest.Config) -> PytestCacheStore | None:
        cache = getattr(config, "cache", None)
        return None if cache is None else cls(cache)

    def get(self, key: str) -> Hardware | None:
        text = self.cache.get(f"roofline/local/{key}", None)
        if not isinstance(text, str):
            return None
        try:
            return Hardware.model_validate_json(text)
        except ValueError:
            return None  # written by another version: measure again

    def put(self, key: str, hardware: Hardware) -> None:
        self.cache.set(f"roofline/local/{key}", hardware.model_dump_json())


class RooflineManager:
    """The run's roofline state: settings, catalog, and (on the controller) results."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        self.run_folder = self._run_folder(config)
        self.lock = RunLock(self.run_folder)
        self.local = SharedCalibration(
            self.run_folder, self.lock, store=PytestCacheStore.of(config), preset=self._preset()
        )
        self.detection: Detection | None = None
        try:
            pyproject_path = config.rootpath / "pyproject.toml"
            values, hardware_tables, model_tables = split_pyproject(
                read_pyproject(pyproject_path), pyproject_path
            )
            self.models = self._models(config, model_tables, pyproject_path)
            transformer.activate(self.models)
            self.catalog = self._catalog(config, hardware_tables, pyproject_path, values)
            hardware.activate(self.catalog)
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
                self._auto()  # a plugin's bad answer is a usage error, not a test's
        except RooflineError as error:
            raise pytest.UsageError(f"roofline: {error}") from None
        self._results: list[Result] = []
        self._pending: list[dict[str, Any]] = []
        """Records gathered and not yet validated into Results (only reports need them)."""
        self.summaries: list[Summary] = []
        """What the terminal summary shows of each result, in the order they came."""
        self.local_spec: dict[str, Any] | None = None
        """The ceilings of the first result on ``local``, which the summary states."""
        self.write_error = ""
        self.saved = ""
        self.written: list[tuple[str, bool]] = []
        self.json_written: Path | None = None
        self._made: dict[str, dict[str, Any]] = {}
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

    def _auto(self) -> Hardware:
        """``hardware="auto"``: detected once per run (see :mod:`pytest_roofline.machine.detect`)."""
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
        hardware.deactivate(self.catalog)
        transformer.deactivate(self.models)
        if self.run_folder is not None and not self.is_worker:
            shutil.rmtree(self.run_folder, ignore_errors=True)

    @staticmethod
    def _models(
        config: pytest.Config, tables: dict[str, Any], pyproject: Path
    ) -> transformer.ModelCatalog:
        """Built-in models, plus those of pyproject.toml and of plugins."""
        models = transformer.builtin_models().copy()
        for key, fields in tables.items():
            place = f"{pyproject} [tool.pytest-roofline.models.{key}]"
            if not isinstance(fields, dict):
                raise ConfigurationError(f"{place}: must be a table of the model's fields")
            model = Transformer.from_data({"name": key, **fields}, place)
            try:
                models.add(model)
            except RooflineError as error:
                raise ConfigurationError(f"{place}: {error}") from None
        for found in config.hook.pytest_roofline_models(config=config):
            for model in found or []:
                if not isinstance(model, Transformer):
                    raise ConfigurationError(
                        f"pytest_roofline_models returned {model!r}, not a Transformer"
                    )
                models.add(model)
        return models

    def _catalog(
        self,
        config: pytest.Config,
        tables: dict[str, Any],
        pyproject: Path,
        values: dict[str, Any],
    ) -> Catalog:
        """Built-in hardware, plus plugins', pyproject.toml's and hardware files' devices."""
        catalog = default_catalog().copy(local=self.local, auto=self._auto)
        for found in config.hook.pytest_roofline_hardware(config=config):
            for device in found or []:
                if not isinstance(device, Hardware):
                    raise ConfigurationError(
                        f"pytest_roofline_hardware returned {device!r}, not a Hardware"
                    )
                catalog.add(device)
        if tables:
            where = f"{pyproject} [tool.pytest-roofline.hardware]"
            devices = hardware_files.resolve(tables, catalog, where)
            catalog = hardware_files.extend_catalog(catalog, devices, where)
        for path in self._hardware_files(config, values):
            devices = hardware_files.load(path, catalog)
            catalog = hardware_files.extend_catalog(catalog, devices, str(path))
        return catalog

    @staticmethod
    def _hardware_files(config: pytest.Config, values: dict[str, Any]) -> list[Path]:
        """``--roofline-hardware-file`` (from the invocation folder), else the ini's or
        pyproject's (from the root folder)."""
        given: Any = config.getoption("roofline_hardware_file")
        if given and any(not str(p).strip() for p in given):
            raise ConfigurationError(
                "--roofline-hardware-file: given an empty value (an unset variable in the"
                " command?); give a file or leave the option out"
            )
        if given:
            return [Path(config.invocation_params.dir, p) for p in given]
        ini = config.getini("roofline_hardware_file")
        listed = ini or values.get("hardware_file") or []
        if isinstance(listed, str):
            listed = [listed]
        if not isinstance(listed, list) or not all(
            isinstance(p, (str, os.PathLike)) and str(p) for p in listed
        ):
            raise ConfigurationError(
                f"[tool.pytest-roofline] hardware_file must be a path or a list of paths,"
                f" got {cut(listed)}"
            )
        return [Path(config.rootpath, os.fspath(p)) for p in listed]

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

    # -- header and summary ------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> str | list[str]:
        lines = self._hardware_header()
        listed = [lines] if isinstance(lines, str) else lines
        return [*listed, self.baseline_note] if self.baseline_note else listed

    def _hardware_header(self) -> str | list[str]:
        name = self.settings.hardware or "local"
        if normalize(name) == AUTO:
            self._auto()
            assert self.detection is not None
            name = self.detection.hardware.name
            return [self._describe_default(name), "roofline: " + self.detection.note]
        return self._describe_default(name)

    def _describe_default(self, name: str) -> str:
        if name != "local":
            device = self.catalog.lookup(name)
            peaks = ", ".join(
                f"{dtype} {format_quantity(v, FLOP_RATE)}"
                for dtype, v in device.peak_flops.items()
                if dtype in ("bf16", "fp32")
            )
            return (
                f"roofline: default hardware {device.name} ({peaks},"
                f" {format_quantity(device.memory_bandwidth, BANDWIDTH)})"
            )
        shown = self.local.shown()
        if shown is not None:
            held, origin = shown
            return f"roofline: default hardware {describe_local(held)}, {origin} {held.measured_at}"
        return (
            "roofline: default hardware local (this machine; ceilings measured on first"
            " use, shown in the summary; --roofline-calibrate measures them now)"
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

    def _new_recorder(self, item: pytest.Item) -> Recorder:
        return Recorder(
            item.nodeid,
            catalog=self.catalog,
            default_hardware=self.settings.hardware,
            max_time=self.settings.max_time,
            lock=self.lock,
            raise_local=self.local.raise_to,
            paired=self.paired,
            prober=self.prober,
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
            recorder = Recorder(
                item.nodeid,
                catalog=self.catalog,
                default_hardware=self.settings.hardware,
                max_time=self.settings.max_time,
                hardware=spec.hardware,
                min_utilization=spec.min_utilization,
                kernel=spec.kernel or spec.serving,
                lock=self.lock,
                raise_local=self.local.raise_to,
                paired=self.paired,
                prober=self.prober,
                max_drop=spec.max_drop,
            )
            problem = ""
        except RooflineError as error:
            problem = f"roofline: {error}"
            recorder = self._new_recorder(item)  # so the fixture still works
        except Exception as error:  # a bug of ours: this test fails, the others go on
            problem = f"roofline: the marker could not be read: {_bug(error)}"
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
            self._attach(item, report, error_record(item.nodeid, line))
        if report.when != "call" or report.skipped:
            return report
        recorder = self.recorder_of(item, create=False)
        if recorder is None:
            return report
        try:
            self._judge(item, call, report, recorder)
        finally:
            recorder.close(
                f"{item.nodeid} was judged when its body ended, so this call comes from a"
                " fixture's teardown (a session- or module-scoped fixture tears down after"
                " the last test that used it): measure or report in the test, or in a"
                " fixture's setup"
            )
        return report

    def _judge(
        self,
        item: pytest.Item,
        call: pytest.CallInfo[None],
        report: pytest.TestReport,
        recorder: Recorder,
    ) -> None:
        """The verdict on one test's call phase: its record, and its failure if any."""
        if not (recorder.declared or item.get_closest_marker("roofline") is not None):
            return  # an unmarked test that used the fixture but declared nothing
        crash = ""
        if report.failed:
            # The test's own failure stands; its row says why, so a crashed benchmark
            # still has its row in the reports.
            error = call.excinfo.value if call.excinfo else None
            if isinstance(error, RooflineError):  # its message names the culprit already
                crash = f"roofline: {str(error).splitlines()[0]}"
            else:
                crash = call.excinfo.exconly().splitlines()[0] if call.excinfo else "it failed"
        if not recorder.declared:
            line = (
                "roofline: the test declared no work: pass a kernel to"
                " @pytest.mark.roofline or call roofline.declare(kernel)"
            )
            if report.passed:
                self._fail(report, line)
            self._attach(item, report, row_without_verdict(recorder, clip(crash) or line))
            return
        try:
            record = recorder.record(self.settings.min_utilization)
        except Exception as error:  # e.g. serving lengths that never arrived
            if isinstance(error, RooflineError):
                line = f"roofline: {error}"
            else:  # a bug of ours: this test has no verdict, the others keep theirs
                line = f"roofline: the verdict could not be taken: {_bug(error)}"
            if report.passed:
                self._fail(report, line)
            self._attach(item, report, row_without_verdict(recorder, clip(crash) or line))
            return
        if crash and recorder.measurement is None:
            record["notes"].append(f"the test failed before it measured: {crash}")
            record["message"] = (
                f"roofline: {record['label']}: the test failed before it measured: {clip(crash)}"
            )
        if self.settings.save is not None or self.baseline is not None:
            record = self._against_baseline(report, recorder, Result.model_validate(record))
        self._attach(item, report, record)
        failure = record["message"] if record["outcome"] != "passed" else record.get("regression")
        if failure and report.passed:
            if self.settings.warn_only:
                item.warn(RooflineWarning(failure))
            else:
                self._fail(report, failure, Result.model_validate(record).details())

    def _attach(self, item: pytest.Item, report: pytest.TestReport, record: dict[str, Any]) -> None:
        """Give the test its row: the record goes to the item's user properties, where
        the controller (or this process) collects it from the teardown report.

        The record goes to JSON as it is: a Result is validated from it only when the run
        ends (or for a pytest_roofline_result implementation), so a cheap test pays for
        one serialization and no model.
        """
        text = record_json(record)
        self._made[text] = record  # this process's own records need no parsing back
        properties: list[tuple[str, object]] = [(PROPERTY, text)]
        properties += [(key, record[key]) for key in FLAT_PROPERTIES]
        item.user_properties.extend(properties)
        report.user_properties.extend(properties)

    def _against_baseline(
        self, report: pytest.TestReport, recorder: Recorder, result: Result
    ) -> dict[str, Any]:
        """``result`` confirmed for a baseline to save, and compared with the one loaded."""
        if self.settings.save is not None and report.passed and result.ok:
            # A baseline is a promise of what the code can do: measured again until the
            # machine was seen quiet, and the best stretch of them all is kept.
            result = recorder.confirm(result, lambda _: True, self.settings.min_utilization, SAVING)
        if self.baseline is not None:
            known = self.baseline
            entry = known.entries.get(result.nodeid)
            max_drop = recorder.max_drop or self.settings.max_drop

            def regressed(candidate: Result) -> bool:
                return (
                    baseline.regression(candidate, known, max_drop, self.same_machine) is not None
                )

            if report.passed and result.ok:
                result = recorder.confirm(result, regressed, self.settings.min_utilization)
            result = result.model_copy(
                update={
                    "baseline_utilization": entry.utilization if entry else None,
                    "regression": baseline.regression(result, known, max_drop, self.same_machine),
                }
            )
        return result.model_dump(mode="json")

    @staticmethod
    def _fail(report: pytest.TestReport, line: str, details: str = "") -> None:
        report.outcome = "failed"
        report.longrepr = line
        if details:
            report.sections.append(("roofline", details))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown" or self.is_worker:
            return
        for name, value in report.user_properties:
            if name == PROPERTY and isinstance(value, str):
                record = self._made.pop(value, None)
                if record is None:  # from an xdist worker
                    record = self._from_worker(report.nodeid, value)
                self._pending.append(record)
                self.summaries.append(Summary.of(record))
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

    # -- end of run --------------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        writer = terminalreporter
        verbosity = self.config.get_verbosity()
        if verbosity < 0 and self.baseline_note and self.baseline is None and not self.is_worker:
            # -q hides the header, where a baseline that could not be used is said.
            writer.write_line(self.baseline_note, yellow=True)
        summaries = self.summaries
        if self.is_worker or not (summaries or self.write_error or self.written):
            return
        if verbosity < 0:
            if summaries:
                writer.write_line(terminal.one_line(summaries))
        else:
            # Close the progress line first, or the first row would do it with a blank line.
            writer.ensure_newline()
            writer.section("roofline")
            if self.local_spec is not None:
                writer.write_line("local: " + describe_spec(self.local_spec))
            colours = {
                "passed": {"green": True},
                "failed": {"red": True},
                "regressed": {"red": True},
                "impossible": {"red": True, "bold": True},
                "unmeasured": {"yellow": True},
            }
            for line, outcome in terminal.summary_rows(
                summaries, writer._tw.fullwidth, verbose=verbosity > 0, limit=SUMMARY_ROWS
            ):
                writer.write_line(line, **colours.get(outcome, {}))
        if self.saved:
            writer.write_line(self.saved)
        for line, ok in self.written:
            writer.write_line(line, **({} if ok else {"red": True, "bold": True}))
        if self.write_error:
            writer.write_line(self.write_error, red=True, bold=True)
        elif self.json_written is not None:
            writer.write_line(
                f"roofline: wrote {len(summaries)}"
                f" result{'' if len(summaries) == 1 else 's'} to {self.json_written}"
            )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        report_hook = self.config.hook.pytest_roofline_report
        wanted = (
            self.settings.json_path is not None
            or self.settings.markdown is not None
            or self.settings.html is not None
            or self.settings.github_summary
            or bool(report_hook.get_hookimpls())
        )
        if wanted:
            self._write_reports()
        interrupted = session.exitstatus in (
            pytest.ExitCode.INTERRUPTED,
            pytest.ExitCode.INTERNAL_ERROR,
        )
        if self.settings.save is not None and interrupted:
            # A partial run would replace a whole baseline with part of one.
            self.write_error = (
                f"roofline: baseline {self.settings.save!r} not saved: the run did not finish"
            )
        elif self.settings.save is not None:
            name = self.settings.save
            try:
                path = baseline.path_for(self.config.rootpath, name)
                count = baseline.save(path, name, self.results, fingerprint())
                self.saved = f"roofline: saved {count} results as baseline {name!r} ({path})"
            except (OSError, RooflineError) as error:
                reason = (
                    f"{error.filename or ''}{': ' if error.filename else ''}{error.strerror}"
                    if isinstance(error, OSError) and error.strerror
                    else str(error)
                )
                self.write_error = f"roofline: could not save baseline {name!r}: {reason}"
        failed_writes = self.write_error or any(not ok for _, ok in self.written)
        if failed_writes and session.exitstatus == pytest.ExitCode.OK:
            # A report or baseline the run was asked for is missing: say so in the exit
            # status too, or CI would go on as if it had been written.
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def _write_reports(self) -> None:
        """The JSON document, the reports rendered from it, and the report hook.

        A run that asked for none of them (and has no hook implementation) skips building
        the document: dumping every result again was a visible share of a cheap test's
        cost.
        """
        # The ceilings this run used (measured, taken from the cache, or left by a
        # worker), not ones an earlier run cached: those were not used here.
        held = self.local.held or self.local.shared()
        document = json_report.build_document(
            self.results, held.model_dump(mode="json") if held is not None else None
        )
        path = self.settings.json_path
        if path is not None:
            path = Path(self.config.invocation_params.dir, path)
            try:
                json_report.write(path, document)
                self.json_written = path
            except (OSError, ValueError) as error:  # ValueError: a number JSON cannot hold
                reason = (error.strerror if isinstance(error, OSError) else None) or str(error)
                self.write_error = f"roofline: could not write {clip_path(path)}: {reason}"
        self.written = writers.write_all(
            document,
            markdown=self.settings.markdown,
            html=self.settings.html,
            github_summary=self.settings.github_summary,
            folder=Path(self.config.invocation_params.dir),
        )
        self.config.hook.pytest_roofline_report(
            config=self.config, results=self.results, document=document
        )


def _bug(error: Exception) -> str:
    """One line for an exception the plugin did not expect: what it was, and whom to tell."""
    first = (str(error).splitlines() or [""])[0]
    return (
        f"{type(error).__name__}: {clip(first, 200)} (a bug in pytest-roofline: please report it)"
    )


def describe_local(device: Hardware) -> str:
    """'local (fp32 185 GFLOP/s, fp64 85 GFLOP/s, memory 24 GB/s, ±10%)'."""
    return "local (" + describe_spec(device.model_dump()) + ")"


def describe_spec(spec: dict[str, Any]) -> str:
    peaks = ", ".join(
        f"{dtype} {format_quantity(v, FLOP_RATE)}" for dtype, v in spec["peak_flops"].items()
    )
    levels = "".join(
        f"{level['name']} {format_quantity(level['bandwidth'], BANDWIDTH)}, "
        for level in spec.get("memory_levels", ())
    )
    text = f"{peaks}, {levels}memory {format_quantity(spec['memory_bandwidth'], BANDWIDTH)}"
    if spec.get("ceiling_uncertainty"):
        text += f", ±{spec['ceiling_uncertainty']:.0%}"
    return text


_running: list[pytest.Item] = []
"""The tests being run, innermost last: a run started from inside a test (pytester)
nests its own."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def running_recorder() -> Recorder:
    """The Recorder of the test running now (made on first use for an unmarked test)."""
    __tracebackhide__ = True
    if not _running:
        raise DeclarationError(
            "the roofline fixture speaks for the running test, and none is running: use it"
            " from a test or a function-scoped fixture"
        )
    item = _running[-1]
    recorder = item.config.stash[manager_key].recorder_of(item, create=True)
    assert recorder is not None
    return recorder


@pytest.fixture(scope="session")
def roofline() -> CurrentRecorder:
    """Declare, measure and report the running test's work against its roofline bound.

    ``roofline.measure(fn, *args)`` times ``fn``; ``roofline.report(seconds=...)`` takes a
    figure measured elsewhere; ``roofline.declare(kernel)`` declares the work when the
    marker cannot (parametrized shapes). The verdict comes when the test ends.

    Session scope: one object serves the session and always speaks for the running
    test's Recorder. A function-scoped fixture cost pytest a setup and a teardown per
    test, more than the roofline work of a test that reports a precomputed figure.
    """
    return CurrentRecorder(running_recorder)
