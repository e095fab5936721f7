"""Baselines: a run's utilizations saved under a name, and regressions against them.

``--roofline-save NAME`` writes ``.roofline/NAME.json`` (schema-versioned, with the
machine's fingerprint). ``--roofline-compare NAME`` fails a test whose utilization
dropped by more than ``max_drop`` (relative, default 10 %):

- the drop is judged on the *best stretch* (see :mod:`pytest_roofline.measurement.timing`): noise on
  a shared machine only ever slows a run down, so the fastest stretch of the rounds moves
  little between runs while the median moves with the neighbours' load;
- on the machine the baseline was saved on, both runs are judged against the baseline's
  bound, so the comparison is of the two times and the ceilings' drift stays out;
- a drop is checked again later before it stands (the plugin measures again until it saw
  the machine quiet twice): a neighbour's burst of load passes, a real slowdown stays.

Saving measures again the same way, so a baseline holds what the code does on a quiet
machine. Utilization is normalized by each machine's ceilings, so a baseline from another
machine still compares; the header says when the fingerprints differ.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_roofline.core import atomic, reading
from pytest_roofline.core.units import number, percent, real
from pytest_roofline.errors import (
    FileError,
    RooflineError,
    cut,
    did_you_mean,
)
from pytest_roofline.verdict.record import Result

SCHEMA = "pytest-roofline-baseline/1"
OLD_IGNORE = "# written by pytest-roofline\n*.lock\n"
IGNORE = "# written by pytest-roofline\n*.lock\n*.tmp\n"
FOLDER = ".roofline"
DEFAULT_MAX_DROP = 0.10
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
DROP_TOLERANCE = 1e-9
"""A drop equal to the allowance is within it, whatever the float rounding of the ratio."""


class BaselineError(RooflineError):
    """A baseline that cannot be used: missing, corrupt, or of another schema."""


def path_for(root: Path, name: str) -> Path:
    """``root/.roofline/NAME.json``; a name must be a plain file name."""
    if not _NAME.match(name):
        raise BaselineError(
            f"baseline name {cut(name)} must be letters, digits, '.', '_' or '-' (no folders)"
        )
    return root / FOLDER / f"{name}.json"


@dataclass(frozen=True)
class Entry:
    """One test's figures in a baseline."""

    utilization: float
    low: float
    high: float
    best: float
    """The best stretch's utilization (``best_stretch_utilization``); in files written
    before windows, bound / the 10th percentile of the rounds."""
    label: str
    hardware: str
    bound: float = 0.0
    """The bound the baseline was judged against, in seconds."""
    outcome: str = "passed"
    """The test's outcome when it was saved."""
    statistics: dict[str, Any] | None = None
    """The measurement's statistics, as the JSON report holds them."""


@dataclass(frozen=True)
class Baseline:
    name: str
    path: Path
    fingerprint: dict[str, Any]
    created: str
    entries: dict[str, Entry]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock beside ``path``, so two runs saving at once do not interleave."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: rename is still atomic
        yield
        return
    with open(path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save(path: Path, name: str, results: list[Result], fingerprint: dict[str, Any]) -> int:
    """Write every measured result to ``path`` atomically; returns how many."""
    entries = {}
    for result in results:
        if result.utilization is None or result.utilization_ci is None:
            continue
        entries[result.nodeid] = {
            "utilization": result.utilization,
            "utilization_ci": list(result.utilization_ci),
            "best_utilization": result.best_utilization or result.utilization,
            "best_stretch_utilization": result.raw_utilization,
            "bound_seconds": result.bound_seconds,
            "label": result.label,
            "hardware": result.hardware,
            "outcome": result.outcome,
            "statistics": result.statistics,
        }
    document = {
        "schema": SCHEMA,
        "name": name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "fingerprint": fingerprint,
        "results": entries,
    }
    atomic.make_folder(path)
    ignore = path.parent / ".gitignore"
    if not ignore.exists() or ignore.read_text(errors="replace") == OLD_IGNORE:
        # Baselines are meant to be committed; the lock files beside them are not, nor
        # what a writer killed mid-write left (removed by the next write).
        with contextlib.suppress(OSError):
            atomic.write_text(ignore, IGNORE)
    with _locked(path):
        atomic.write_text(path, json.dumps(document, indent=2, allow_nan=False) + "\n")
    return len(entries)


def load(path: Path, name: str) -> Baseline:
    """Read a baseline; a one-line :class:`BaselineError` when it cannot be used."""
    again = f"save it again with --roofline-save {name}"
    if not path.exists():
        hint = did_you_mean(name, sorted(p.stem for p in path.parent.glob("*.json")))
        raise BaselineError(
            f"baseline {name!r} not found at {path}{hint} (save one with --roofline-save {name})"
        )
    try:
        data = reading.read_json(path, "baseline")
    except FileError as error:
        raise BaselineError(f"baseline {name!r}: {error}; {again}") from None
    if not isinstance(data, dict):
        raise BaselineError(
            f"baseline {name!r} at {path} holds a JSON {type(data).__name__}, not a baseline;"
            f" {again}"
        )
    if data.get("schema") != SCHEMA:
        found = f"schema {cut(data['schema'])}" if "schema" in data else "no schema"
        raise BaselineError(
            f"baseline {name!r} at {path} has {found}, not {SCHEMA!r}: written by another"
            f" version of pytest-roofline; {again}"
        )
    entries = {}
    try:
        results = data.get("results")
        if not isinstance(results, dict):
            raise _CorruptError(f"its results must be a table by node id, got {cut(results, 40)}")
        for nodeid, raw in results.items():
            entries[nodeid] = _entry(nodeid, raw)
        fingerprint = data.get("fingerprint")
        if not isinstance(fingerprint, dict):
            raise _CorruptError(f"its fingerprint must be a table, got {cut(fingerprint, 40)}")
    except _CorruptError as error:
        raise BaselineError(f"baseline {name!r} at {path} is corrupt: {error}; {again}") from None
    return Baseline(name, path, fingerprint, str(data.get("created", "")), entries)


class _CorruptError(ValueError):
    """What is wrong with one part of a baseline file, in words."""


def _entry(nodeid: str, raw: Any) -> Entry:
    """One test's entry, each figure checked and named when it is wrong."""
    where = f"result {cut(nodeid)}"
    if not isinstance(raw, dict):
        raise _CorruptError(f"{where} must be a table, got {cut(raw, 40)}")

    def figure(key: str, default: Any = None) -> float:
        value = raw.get(key, default)
        if value is None:
            raise _CorruptError(f"{where} has no {key!r}")
        number = real(value)
        if number is None or not math.isfinite(number) or number < 0:
            raise _CorruptError(f"{where}: {key} is {cut(value, 40)}, not a number >= 0")
        return number

    interval = raw.get("utilization_ci")
    if not isinstance(interval, list) or len(interval) != 2:
        raise _CorruptError(f"{where}: utilization_ci must be [low, high], got {cut(interval, 40)}")
    raw = {**raw, "low": interval[0], "high": interval[1]}
    best = raw.get("best_stretch_utilization") or raw.get("best_utilization")
    return Entry(
        figure("utilization"),
        figure("low"),
        figure("high"),
        figure("best_stretch_utilization", best or raw.get("utilization")),
        str(raw.get("label", "")),
        str(raw.get("hardware", "")),
        figure("bound_seconds", 0.0),
        str(raw.get("outcome", "passed")),
        statistics if isinstance(statistics := raw.get("statistics"), dict) else None,
    )


@dataclass(frozen=True)
class Drop:
    """How far a test's best stretch fell from a baseline's, both on one bound."""

    before: float
    """The baseline's best stretch utilization."""
    now: float
    """This run's, on the baseline's bound when both ran on the same machine."""
    scale: float = 1.0
    """The factor that put this run's figures on the baseline's bound (1: its own)."""
    before_interval: tuple[float, float] | None = None
    """The baseline's 95 % interval of the median utilization."""
    now_interval: tuple[float, float] | None = None
    """This run's, scaled as ``now`` is."""

    @property
    def relative(self) -> float:
        """1 - now / before: the fraction of the baseline's figure lost (negative: a gain)."""
        return 1 - self.now / self.before

    def beyond(self, max_drop: float) -> bool:
        """True when the drop is more than ``max_drop`` (a drop equal to it is within)."""
        return self.relative > max_drop + DROP_TOLERANCE

    @property
    def significant(self) -> bool:
        """True unless the two intervals overlap: a run that cannot be measured again (a
        saved report) shows a real slowdown by its whole interval lying below the
        baseline's, while a neighbour's load widens an interval rather than moving it.
        Without both intervals nothing shows the drop is noise, and it counts."""
        if self.before_interval is None or self.now_interval is None:
            return True
        return self.now_interval[1] < self.before_interval[0]


def drop_from(
    entry: Entry, now: float, bound_seconds: float, label: str, same_machine: bool = False
) -> Drop | None:
    """The drop of ``now``, a best stretch's utilization of the work ``label`` whose bound
    is ``bound_seconds``, from the baseline's ``entry``; None when the baseline has none.

    On the machine the baseline was saved on (``same_machine``) and for the same work,
    ``now`` is put on the baseline's bound: the drop is then that of the best stretch's
    throughput, and a calibration's drift between the runs stays out.
    """
    if entry.best <= 0:
        return None
    scale = 1.0
    if same_machine and entry.bound > 0 and bound_seconds > 0 and label == entry.label:
        scale = entry.bound / bound_seconds
    return Drop(entry.best, now * scale, scale)


def compare(before: Entry, now: Entry, same_machine: bool = False) -> Drop | None:
    """The drop from ``before`` to ``now``, two saved runs of one test (baselines, or
    reports read by :func:`entry_of`), with both intervals; None without a figure."""
    found = drop_from(before, now.best, now.bound, now.label, same_machine)
    if found is None:
        return None
    return Drop(
        found.before,
        found.now,
        found.scale,
        (before.low, before.high),
        (now.low * found.scale, now.high * found.scale),
    )


def entry_of(record: Mapping[str, Any]) -> Entry | None:
    """A result record of a JSON report as a baseline entry: a report holds the same
    figures under its own keys (the best stretch is ``raw_utilization``, the verdict's
    figure before capping). None for a record without a utilization. A record without
    an interval (cut down by hand) has its one figure as its interval."""
    utilization = number(record.get("utilization"))
    if utilization is None or not math.isfinite(utilization):
        return None
    best = number(record.get("raw_utilization"))
    interval = record.get("utilization_ci")
    bounds = [number(v) for v in interval] if isinstance(interval, (list, tuple)) else []
    low, high = (
        (bounds[0], bounds[1])
        if len(bounds) == 2 and bounds[0] is not None and bounds[1] is not None
        else (utilization, utilization)
    )
    statistics = record.get("statistics")
    return Entry(
        utilization,
        low,
        high,
        best if best is not None and best > 0 else utilization,
        str(record.get("label", "")),
        str(record.get("hardware", "")),
        number(record.get("bound_seconds")) or 0.0,
        str(record.get("outcome", "passed")),
        statistics if isinstance(statistics, dict) else None,
    )


def saved_names(root: Path) -> list[str]:
    """The names of the baselines saved under ``root/.roofline``, sorted."""
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if _NAME.match(p.stem))


def regression(
    result: Result, baseline: Baseline, max_drop: float, same_machine: bool = False
) -> str | None:
    """The failure line when ``result`` regressed against the baseline, else None.

    A regression is a relative drop of the best stretch's utilization above
    ``max_drop`` (see :func:`drop_from`, which puts both runs on the baseline's bound on
    the machine it was saved on).
    """
    entry = baseline.entries.get(result.nodeid)
    if entry is None or result.raw_utilization is None or result.bound_seconds is None:
        return None
    drop = drop_from(
        entry, result.raw_utilization, result.bound_seconds, result.label, same_machine
    )
    if drop is None or not drop.beyond(max_drop):
        return None
    median = result.median_utilization
    interval = result.utilization_ci
    median = median * drop.scale if median is not None else None
    interval = (interval[0] * drop.scale, interval[1] * drop.scale) if interval else None
    median_part = (
        f"; median now {percent(median)} (95% CI {percent(interval[0])}-{percent(interval[1])})"
        if median is not None and interval is not None and result.verdict_figure != "reported"
        else ""
    )
    return (
        f"roofline: {result.label} on {result.hardware} dropped to {percent(drop.now)} of its"
        f" bound in its best stretch from {percent(entry.best)} in baseline"
        f" {baseline.name!r}: {drop.relative:.1%} lower, more than the {max_drop:.1%} allowed"
        f"{median_part}"
    )
