"""Baselines: a run's utilizations saved under a name, and regressions against them.

``--roofline-save NAME`` writes ``.roofline/NAME.json`` (schema-versioned, with the
machine's fingerprint). ``--roofline-compare NAME`` fails a test whose utilization
dropped by more than ``max_drop`` (relative, default 10 %) when the drop is also
significant:

- the drop is judged on the *best* utilization (bound / the 10th percentile of the
  rounds). Noise on a shared machine only ever slows rounds down, so the fast end of the
  rounds moves little between runs while the median moves with the neighbours' load;
- the new 95 % interval of the median lies wholly below the old one (two disjoint 95 %
  intervals mean a difference at well under the 5 % level; Schenker and Gentleman, "On
  judging the significance of differences by examining the overlap between confidence
  intervals", The American Statistician 55(3), 2001);
- the plugin measures again (up to three times) and the drop must persist in the best
  of those measurements: a neighbour's burst of load passes, a real slowdown stays.

Saving measures each test three times and keeps the best, for the same reason.
Utilization is normalized by each machine's ceilings, so a baseline from another machine
still compares; the header says when the fingerprints differ.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomic
from .errors import RooflineError, did_you_mean
from .results import Result

SCHEMA = "pytest-roofline-baseline/1"
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
            f"baseline name {name!r} must be letters, digits, '.', '_' or '-' (no folders)"
        )
    return root / FOLDER / f"{name}.json"


@dataclass(frozen=True)
class Entry:
    """One test's figures in a baseline."""

    utilization: float
    low: float
    high: float
    best: float
    label: str
    hardware: str
    bound: float = 0.0
    """The bound the baseline was judged against, in seconds."""
    paired: dict[str, float] | None = None
    """Round time x reference rate statistics, when measured with paired calibration."""


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
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        # Baselines are meant to be committed; the lock files beside them are not.
        with contextlib.suppress(OSError):
            atomic.write_text(ignore, "# written by pytest-roofline\n*.lock\n")
    with _locked(path):
        atomic.write_text(path, json.dumps(document, indent=2, allow_nan=False) + "\n")
    return len(entries)


def load(path: Path, name: str) -> Baseline:
    """Read a baseline; a one-line :class:`BaselineError` when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        hint = did_you_mean(name, sorted(p.stem for p in path.parent.glob("*.json")))
        raise BaselineError(
            f"baseline {name!r} not found at {path}{hint} (save one with --roofline-save {name})"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"baseline {name!r} at {path} is not readable JSON: {error}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise BaselineError(
            f"baseline {name!r} at {path} has schema {found!r}, not {SCHEMA!r}; save it again"
        )
    entries = {}
    try:
        for nodeid, raw in data["results"].items():
            low, high = raw["utilization_ci"]
            entries[nodeid] = Entry(
                float(raw["utilization"]),
                float(low),
                float(high),
                float(raw.get("best_utilization", raw["utilization"])),
                str(raw["label"]),
                str(raw["hardware"]),
                float(raw.get("bound_seconds", 0.0)),
                (raw.get("statistics") or {}).get("paired"),
            )
            held = entries[nodeid]
            figures = (held.utilization, held.low, held.high, held.best)
            if not all(math.isfinite(x) for x in figures):
                raise ValueError(f"{nodeid}: a figure is not a finite number: {figures}")
        fingerprint = dict(data["fingerprint"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise BaselineError(f"baseline {name!r} at {path} is corrupt: {error!r}") from None
    return Baseline(name, path, fingerprint, str(data.get("created", "")), entries)


def _rescaled(result: Result, entry: Entry) -> tuple[float, float, float, float] | None:
    """The result's (utilization, interval low, high, best) against the *baseline's*
    bound, when the work is the same and the baseline was timed here too.

    On one machine the question is whether the code got slower; measured ceilings drift
    with the machine's load between runs, so judging both runs against one bound (the
    baseline's) compares their times directly and keeps the ceilings' drift out.
    """
    stats = result.statistics or {}
    if entry.bound <= 0 or result.label != entry.label or not stats.get("median"):
        return None
    p10 = stats.get("p10") or stats["median"]
    return (
        min(entry.bound / stats["median"], 1.0),
        entry.bound / stats["ci_high"],
        entry.bound / stats["ci_low"],
        entry.bound / p10,
    )


def _paired_regression(
    result: Result,
    now: dict[str, float],
    then: dict[str, float],
    name: str,
    max_drop: float,
    entry_utilization: float,
) -> str | None:
    """Regression on the paired figure: round time x the reference probe's rate then.

    A slower machine slows the test and the probe alike, so the product moves only when
    the code does; its fast end (p10) must have grown by more than the allowance, with
    disjoint intervals of the median.
    """
    slower = 1 - then["p10"] / now["p10"]
    if slower > max_drop + DROP_TOLERANCE and now["ci_low"] > then["ci_high"]:
        now_utilization = result.utilization or 0.0
        low, high = result.utilization_ci or (now_utilization, now_utilization)
        return (
            f"roofline: {result.label} on {result.hardware} has {slower:.1%} less throughput"
            f" than in baseline {name!r} relative to the machine's speed at the time, more"
            f" than the {max_drop:.1%} allowed: round time x reference rate, median"
            f" {now['median']:.4g} (95% CI {now['ci_low']:.4g}-{now['ci_high']:.4g}) against"
            f" {then['median']:.4g} ({then['ci_low']:.4g}-{then['ci_high']:.4g});"
            f" utilization now {now_utilization:.1%} (95% CI {min(low, 1):.1%}-"
            f"{min(high, 1):.1%}), {entry_utilization:.1%} in the baseline"
        )
    return None


def regression(
    result: Result, baseline: Baseline, max_drop: float, same_machine: bool = False
) -> str | None:
    """The failure line when ``result`` regressed against the baseline, else None.

    A regression needs both: a relative drop of the best utilization above
    ``max_drop``, and a significant one (the new interval wholly below the old one). On
    the machine the baseline was saved on (``same_machine``), both runs are judged
    against the baseline's bound (:func:`_rescaled`).
    """
    entry = baseline.entries.get(result.nodeid)
    if entry is None or result.utilization is None or result.utilization_ci is None:
        return None
    paired = (result.statistics or {}).get("paired")
    if same_machine and paired and entry.paired and result.label == entry.label:
        return _paired_regression(
            result, paired, entry.paired, baseline.name, max_drop, entry.utilization
        )
    utilization = result.utilization
    low, high = result.utilization_ci
    best = result.best_utilization or result.utilization
    rescaled = _rescaled(result, entry) if same_machine else None
    if rescaled is not None:
        utilization, low, high, best = rescaled
    if entry.best <= 0:
        return None
    drop = 1 - best / entry.best
    if drop > max_drop + DROP_TOLERANCE and high < entry.low:
        return (
            f"roofline: {result.label} on {result.hardware} dropped to {utilization:.1%}"
            f" of its bound (95% CI {min(low, 1):.1%}-{min(high, 1):.1%}; best"
            f" {best:.1%}) from {entry.utilization:.1%} ({min(entry.low, 1):.1%}-"
            f"{min(entry.high, 1):.1%}; best {entry.best:.1%}) in baseline"
            f" {baseline.name!r}: {drop:.1%} lower, more than the {max_drop:.1%} allowed"
        )
    return None
