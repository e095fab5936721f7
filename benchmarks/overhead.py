"""The plugin's overhead on a suite of many cheap tests.

Run: python benchmarks/overhead.py [RUNS]        (RUNS defaults to 15)
     python benchmarks/overhead.py --goals        (the two goals, in instructions: ~2 min)

Generates, in a temporary folder, two test files of 500 tests each:

- ``test_marked.py``: every test carries ``@pytest.mark.roofline(kernel,
  hardware="h100-sxm")`` (matmul, dot and custom kernels in turn) and calls
  ``roofline.report(seconds=...)`` with a figure precomputed at twice the kernel's bound;
- ``test_plain.py``: the same bodies without the marker and the report call;
- ``test_fixture.py``: the plain bodies requesting a session-scoped fixture that does
  nothing, as ``roofline`` is: pytest's own cost of a fixture request.

``test_marked.py`` runs twice more:

- with the plugin replaced by a glue-only stand-in (``glue_only.py``: the marker, a
  session fixture whose ``report`` stores its argument, the per-test hooks and one user
  property, but no roofline work): the floor any plugin doing this job in pytest stands
  on, which separates pytest's share of the overhead from ours;
- with the plugin as installed but its roofline work removed (``no_roofline_work.py``
  replaces the verdict, the record and ``report`` with no-ops, keeping the hooks, the
  fixture and the marker): what the test file's marks, kernels and fixture requests cost
  before the plugin judges anything.

Each file runs with ``python -m pytest -q -p no:cacheprovider -p no:randomly`` in a
subprocess (pytest-randomly, when installed, would add the same per-test work to every
variant and flatter the ratio), and the plain file once more with ``-p no:roofline`` (the
plugin not loaded at all). The variants are run in turn, RUNS times, so a neighbour's
load falls on all of them alike. Prints the median wall time of each and the ratios
marked / plain (the goal is <= 1.05) and plain / plain without the plugin (the cost of
the plugin when loaded but unused), and the same ratios of the CPU time the pytest
processes used (user + system), which a busy neighbour disturbs less than wall time.

With ``--instructions`` and valgrind installed, each variant also runs once under
``valgrind --tool=cachegrind`` and the instructions the pytest process executed are
compared: a count a neighbour's load does not move, so a change of a few percent shows
in one run. Each variant is counted with 500 tests and with 100; the difference, per
test, is what one test costs apart from starting pytest and loading the plugin. One
more variant is counted there: the glue-only stand-in on the marked file with a single
kernel named by every mark (``test_one_kernel.py``), which leaves pytest's own work on
the marks and fixture requests; and a minimal-verdict stand-in (``minimal_verdict.py``:
the glue-only stand-in plus the bound, the utilization and the same record the plugin
attaches, built by hand without validation, and its JSON), the least any implementation
of the plugin's contract does per test; the last line says whether even that stand-in
stays within the goal. All this takes about 5 minutes.

Bytecode is cached (in the temporary folder, via ``PYTHONPYCACHEPREFIX``) even when
``PYTHONDONTWRITEBYTECODE`` is set, as in a normal installation; one untimed run of each
variant fills the cache first.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 500
DEFAULT_RUNS = 15
GOAL = 1.05


def kernel_source(i: int) -> str:
    """The declaration of test ``i``: matmul, dot and custom kernels in turn."""
    n = 64 * (1 + i % 8)
    kind = i % 3
    if kind == 0:
        return f'kernels.matmul({n}, {n}, {n}, "bf16")'
    if kind == 1:
        return f'kernels.dot({n * 1024}, "fp32")'
    return f'kernels.custom("step {i}", flops="{i + 1} GFLOP", bytes="{n} MB", dtype="fp16")'


def reported_seconds(sources: list[str]) -> list[float]:
    """Twice each kernel's bound on h100-sxm (utilization 50 %), computed once here."""
    from pytest_roofline import bound, kernels  # the project itself, only for the figures

    return [2 * bound(eval(source, {"kernels": kernels}), "h100-sxm").seconds for source in sources]


def write_suite(folder: Path, tests: int = TESTS) -> None:
    sources = [kernel_source(i) for i in range(tests)]
    seconds = reported_seconds(sources)
    marked = ["import pytest", "", "from pytest_roofline import kernels", ""]
    shared = [*marked, f"KERNEL = {sources[0]}", ""]
    plain = ["import pytest", ""]
    fixture = [
        "import pytest",
        "",
        "",
        '@pytest.fixture(scope="session")',
        "def noop():",
        "    return None",
        "",
    ]
    for i, (source, reported) in enumerate(zip(sources, seconds, strict=True)):
        body = f"    assert sum(range({i % 50})) == {sum(range(i % 50))}"
        for lines, kernel in ((marked, source), (shared, "KERNEL")):
            lines += [
                "",
                f'@pytest.mark.roofline({kernel}, hardware="h100-sxm")',
                f"def test_{i:04d}(roofline):",
                body,
                f"    roofline.report(seconds={reported!r})",
                "",
            ]
        plain += ["", f"def test_{i:04d}():", body, ""]
        fixture += ["", f"def test_{i:04d}(noop):", body, ""]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_marked.py").write_text("\n".join(marked))
    (folder / "test_one_kernel.py").write_text("\n".join(shared))
    (folder / "test_plain.py").write_text("\n".join(plain))
    (folder / "test_fixture.py").write_text("\n".join(fixture))
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "glue_only.py").write_text(GLUE_ONLY)
    (folder / "no_roofline_work.py").write_text(NO_ROOFLINE_WORK)
    (folder / "minimal_verdict.py").write_text(MINIMAL_VERDICT)


GLUE_ONLY = '''"""A stand-in plugin doing only the pytest glue any roofline plugin needs."""
import pytest

_running = []


class Stand:
    def report(self, **figure):
        self.figure = figure


def pytest_configure(config):
    config.addinivalue_line("markers", "roofline: stand-in")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def pytest_runtest_setup(item):
    item.get_closest_marker("roofline")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        report.user_properties.append(("roofline", "{}"))
    return report


@pytest.fixture(scope="session")
def roofline():
    return Stand()
'''
"""The floor: the marker, one session fixture, a hook per test phase and one property per
test, with none of the roofline work (no bound, verdict or record)."""


NO_ROOFLINE_WORK = '''"""The plugin as installed, with the roofline work of each test removed."""
import pytest

from pytest_roofline.plugin import session
from pytest_roofline.verdict import recorder


def _setup(self, item):
    self._current = None
    item.get_closest_marker("roofline")


@pytest.hookimpl(wrapper=True)
def _makereport(self, item, call):
    return (yield)


def _logreport(self, report):
    return None


def _report(self, **figure):
    self.figure = figure


session.RooflineSession.pytest_runtest_setup = pytest.hookimpl(tryfirst=True)(_setup)
session.RooflineSession.pytest_runtest_makereport = _makereport
session.RooflineSession.pytest_runtest_logreport = _logreport
recorder.Recorder.report = _report
'''
"""The plugin's hooks, fixture and marker with no bound, verdict, record or report: the
test file's declarations and pytest's fixture requests, which no plugin can avoid."""


MINIMAL_VERDICT = '''"""A stand-in plugin doing the least work a complete verdict needs."""
import json
import math

import pydantic_core
import pytest

from pytest_roofline.specs.hardware import default_catalog
from pytest_roofline.specs.kernels import Kernel

_running = []
_devices = {}
records = []


def device(name):
    """A catalog device's figures, and their JSON, looked up once per device."""
    held = _devices.get(name)
    if held is None:
        hw = default_catalog().lookup(name)
        spec = hw.model_dump(mode="json", exclude={"sources", "aliases", "description"})
        held = _devices[name] = (dict(hw.peak_flops), hw.memory_bandwidth, json.dumps(spec))
    return held


class Verdict:
    def report(self, *, seconds):
        if type(seconds) is not float or not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"report(): seconds must be a finite number > 0, got {seconds!r}")
        self.seconds = seconds


_verdict = Verdict()


def pytest_configure(config):
    config.addinivalue_line("markers", "roofline: stand-in")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("roofline")
    kernel = marker.args[0]
    if not isinstance(kernel, Kernel):
        raise TypeError("the marker's kernel must be a Kernel")
    _verdict.kernel, _verdict.device, _verdict.seconds = kernel, marker.kwargs["hardware"], None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when != "call":
        return report
    kernel, name, measured = _verdict.kernel, _verdict.device, _verdict.seconds
    peaks, bandwidth, spec_text = device(name)
    peak = peaks[kernel.dtype]
    t_compute, t_memory = kernel.flops / peak, kernel.bytes / bandwidth
    bottleneck, seconds = ("memory", t_memory) if t_memory > t_compute else ("compute", t_compute)
    utilization = seconds / measured
    label = kernel.label
    workload = kernel.model_dump(mode="json")
    workload["intensity"] = kernel.intensity
    statistics = {"rounds": 1, "loops": 1, "median": measured, "min": measured,
                  "mean": measured, "iqr": 0.0, "p10": measured, "ci_low": measured,
                  "ci_high": measured, "cv": 0.0, "reported": True, "notes": [],
                  "paired": None}
    record = {"nodeid": item.nodeid, "kind": "kernel", "label": label,
              "workload": workload, "hardware": name, "bound_seconds": seconds,
              "compute_seconds": t_compute, "memory_seconds": t_memory,
              "network_seconds": 0.0, "measured_seconds": measured,
              "utilization": utilization, "raw_utilization": utilization,
              "min_utilization": None, "bottleneck": bottleneck,
              "intensity": kernel.intensity, "ridge_point": peak / bandwidth,
              "ceiling_uncertainty": 0.0, "outcome": "passed",
              "message": f"roofline: {label} on {name} reached {utilization:.1%} of its bound",
              "statistics": statistics, "utilization_ci": [utilization, utilization],
              "best_utilization": utilization, "noisy": False, "notes": [],
              "optimal_tokens_per_second": None, "measured_tokens_per_second": None,
              "serving": None, "mfu": kernel.flops / measured / peak if kernel.flops else None,
              "mbu": kernel.bytes / measured / bandwidth if kernel.bytes else None,
              "baseline_utilization": None,
              "regression": None}
    text = pydantic_core.to_json(record).decode()  # a sixth of json.dumps's cost here
    text = f'{text[:-1]}, "hardware_spec": {spec_text}}}'
    properties = [("roofline", text)]
    properties += [(key, record[key]) for key in ("utilization", "min_utilization",
                   "bound_seconds", "measured_seconds", "bottleneck", "hardware", "outcome")]
    item.user_properties.extend(properties)
    return report


def pytest_runtest_logreport(report):
    if report.when == "teardown":
        records.extend(value for name, value in report.user_properties if name == "roofline")


@pytest.fixture(scope="session")
def roofline():
    return _verdict
'''
"""The least a complete verdict costs: the glue-only stand-in plus the bound, the
utilization, the record the plugin attaches (the same keys and values for this file's
tests, built by hand with no validation) and its JSON, for reported figures on catalog
hardware only. Any implementation of the plugin's contract does at least this per test."""


def environment(folder: Path) -> dict[str, str]:
    """Bytecode caching on, into ``folder``: pytest rewrites the asserts of every plugin
    module it imports, and without cached bytecode it does so again in every run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def run(folder: Path, args: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one pytest process."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:randomly", *args]
    env = environment(folder)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def instructions(folder: Path, args: list[str]) -> int:
    """Instructions one pytest process executes, counted by valgrind (cachegrind)."""
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no"]
    command += ["--cachegrind-out-file=/dev/null", sys.executable, "-m", "pytest", "-q"]
    command += ["-p", "no:cacheprovider", "-p", "no:randomly", *args]
    # One hash seed for every count: with random string hashes, three counts of the same
    # run spread over 0.4 million instructions; with one seed, over a few hundred.
    env = {**environment(folder), "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    # A child forked before an exec is counted on its own line: the largest is pytest.
    counts = [int(n.replace(",", "")) for n in re.findall(r"I\s+refs:\s+([\d,]+)", done.stderr)]
    if done.returncode != 0 or not counts:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return max(counts)


ONE_KERNEL = "marked, stand-in, one kernel for all"

MINIMAL = "marked, minimal verdict stand-in"

COUNTED_ONLY = {
    ONE_KERNEL: ["-p", "no:roofline", "-p", "glue_only", "test_one_kernel.py"],
    MINIMAL: ["-p", "no:roofline", "-p", "minimal_verdict", "test_marked.py"],
}
"""Counted with ``--instructions`` only: the glue-only stand-in on the marked file with
one kernel built once and named by every mark, which separates building 500 kernels
from pytest's own work on the marks and fixture requests; and the minimal-verdict
stand-in, the least any implementation of the contract does per test."""

SMALL = 100
"""The second suite size counted with ``--instructions``, for the per-test cost."""

VARIANTS = {
    "marked": ["test_marked.py"],
    "plain": ["test_plain.py"],
    "plain, -p no:roofline": ["-p", "no:roofline", "test_plain.py"],
    "plain + a session fixture": ["test_fixture.py"],
    "marked, glue-only stand-in": ["-p", "no:roofline", "-p", "glue_only", "test_marked.py"],
    "marked, roofline work removed": ["-p", "no_roofline_work", "test_marked.py"],
}


GOAL_SIZES = (50, 250)
"""The suite sizes the goals are counted at: the per-test cost is the slope between them."""
MARKED_GOAL = 1.08
"""A marked test costs at most this much of the same test unmarked, in instructions."""
UNUSED_GOAL = 1.03
"""A run of plain tests with the plugin installed but unused costs at most this much of
the same run with ``-p no:roofline``, in instructions."""


def goals() -> None:
    """Count the two overhead goals in instructions: a neighbour's load cannot move them.

    - a marked test against the same test unmarked: the slope of each file's count
      between 50 and 250 tests, so pytest's start-up and the plugin's loading drop out;
    - a run of 50 plain tests with the plugin installed but unused, against the same run
      with ``-p no:roofline``: what every pytest run pays where the plugin is installed.
    """
    if shutil.which("valgrind") is None:
        sys.exit("--goals needs valgrind on PATH")
    root = Path(tempfile.mkdtemp(prefix="roofline-goals-"))
    variants = {
        "marked": ["test_marked.py"],
        "plain": ["test_plain.py"],
        "plain, -p no:roofline": ["-p", "no:roofline", "test_plain.py"],
        "marked, glue-only stand-in": VARIANTS["marked, glue-only stand-in"],
        MINIMAL: COUNTED_ONLY[MINIMAL],
    }
    counts: dict[tuple[str, int], int] = {}
    try:
        for size in GOAL_SIZES:
            folder = root / str(size)
            write_suite(folder, size)
            for name, args in variants.items():
                run(folder, args)  # fill this folder's bytecode cache
                counts[name, size] = instructions(folder, args)
                print(f"{name}, {size} tests: {counts[name, size]:,}", file=sys.stderr)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    small, large = GOAL_SIZES

    def slope(name: str) -> float:
        return (counts[name, large] - counts[name, small]) / (large - small)

    marked = slope("marked") / slope("plain")
    unused = counts["plain", small] / counts["plain, -p no:roofline", small]
    print(f"instructions per test (slope between {small} and {large} tests):")
    print(f"  marked {slope('marked') / 1e3:,.0f}k, plain {slope('plain') / 1e3:,.0f}k")
    verdict = "met" if marked <= MARKED_GOAL else "NOT met"
    print(f"  marked / plain: {marked:.3f}   (goal <= {MARKED_GOAL}: {verdict})")
    for floor in ("marked, glue-only stand-in", MINIMAL):
        print(f"  {floor} / plain: {slope(floor) / slope('plain'):.3f}")
    print(f"a run of {small} plain tests:")
    print(
        f"  installed, unused {counts['plain', small] / 1e9:.3f} G, -p no:roofline"
        f" {counts['plain, -p no:roofline', small] / 1e9:.3f} G"
    )
    verdict = "met" if unused <= UNUSED_GOAL else "NOT met"
    print(f"  unused / not loaded: {unused:.3f}   (goal <= {UNUSED_GOAL}: {verdict})")


def main() -> None:
    if "--goals" in sys.argv[1:]:
        goals()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=DEFAULT_RUNS)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each variant's instructions once under valgrind",
    )
    options = parser.parse_args()
    runs = options.runs
    if options.instructions and shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind on PATH")
    folder = Path(tempfile.mkdtemp(prefix="roofline-overhead-"))
    variants = VARIANTS
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    counted: dict[str, int] = {}
    few: dict[str, int] = {}
    small = folder / "small"
    try:
        write_suite(folder)
        for args in variants.values():  # warm the file system and .pyc caches
            run(folder, args)
        if options.instructions:
            write_suite(small, SMALL)
            for name, args in {**variants, **COUNTED_ONLY}.items():
                for size, where, into in ((TESTS, folder, counted), (SMALL, small, few)):
                    run(where, args)  # fill this folder's bytecode cache
                    into[name] = instructions(where, args)
                    print(f"{name}, {size} tests: counted", file=sys.stderr)
        for repeat in range(runs):
            order = list(variants) if repeat % 2 == 0 else list(reversed(variants))
            for name in order:
                wall, used = run(folder, variants[name])
                times[name].append(wall)
                cpu[name].append(used)
            print(f"run {repeat + 1}/{runs} done", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print(f"{TESTS} tests per file, {runs} runs each, alternating; {os.cpu_count()} CPUs")
    print()
    print(f"{'variant':<32}{'median s':>10}{'min s':>9}{'max s':>9}{'CPU s':>9}")
    for name, values in times.items():
        print(
            f"{name:<32}{statistics.median(values):>10.3f}{min(values):>9.3f}"
            f"{max(values):>9.3f}{statistics.median(cpu[name]):>9.3f}"
        )
    print()
    print(f"{'ratio of medians':<40}{'wall':>8}{'CPU':>8}")
    report(times, cpu)
    if counted:
        report_instructions(counted, few)


def report_instructions(counted: dict[str, int], small: dict[str, int]) -> None:
    """The instruction counts, the same ratios as the times, and what one test costs.

    A ratio of whole runs mixes each test's cost with the fixed cost of starting pytest
    and loading the plugin; the difference between the counts at TESTS and at SMALL tests
    is the per-test cost alone."""
    per_test = {name: (counted[name] - small[name]) / (TESTS - SMALL) for name in counted}
    print()
    print(f"{'instructions (valgrind)':<40}{'G':>7}{'/ plain':>9}{'per test':>10}{'- plain':>9}")
    for name, count in counted.items():
        extra = per_test[name] - per_test["plain"]
        print(
            f"{name:<40}{count / 1e9:>7.3f}{count / counted['plain']:>9.3f}"
            f"{per_test[name] / 1e3:>9.0f}k{extra / 1e3:>8.0f}k"
        )
    allowed = (GOAL - 1) * counted["plain"] / TESTS
    declarations = per_test[ONE_KERNEL] - per_test["plain"]
    kernels = per_test["marked, glue-only stand-in"] - per_test[ONE_KERNEL]
    work = per_test["marked"] - per_test["marked, roofline work removed"]
    least = per_test[MINIMAL] - per_test["marked, glue-only stand-in"]
    print(
        f"per marked test, over a plain one: the goal allows {allowed / 1e3:.0f}k;"
        f" pytest's share of the marks, fixture requests and report calls (stand-in, one"
        f" kernel) is {declarations / 1e3:.0f}k, building each test's kernel"
        f" {kernels / 1e3:.0f}k, the least a complete verdict adds (minimal stand-in)"
        f" {least / 1e3:.0f}k, the plugin's roofline work {work / 1e3:.0f}k"
    )
    floor = counted[MINIMAL] / counted["plain"]
    verdict = "within" if floor <= GOAL else "already past"
    print(
        f"the least a complete verdict costs (minimal stand-in / plain): {floor:.3f},"
        f" {verdict} the goal of {GOAL} before any validation, summary or error message"
    )


def report(times: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    wall = {name: statistics.median(values) for name, values in times.items()}
    used = {name: statistics.median(values) for name, values in cpu.items()}

    def line(label: str, top: str, bottom: str, note: str = "") -> None:
        print(f"{label:<40}{wall[top] / wall[bottom]:>8.3f}{used[top] / used[bottom]:>8.3f}{note}")

    verdict = "met" if wall["marked"] / wall["plain"] <= GOAL else "NOT met"
    line("marked / plain", "marked", "plain", f"   (goal <= {GOAL} on wall time: {verdict})")
    line("plain / plain -p no:roofline", "plain", "plain, -p no:roofline", "   (loaded, unused)")
    # Marked tests request the `roofline` fixture; a session fixture that does nothing
    # separates pytest's cost of the request from the plugin's own work.
    line("marked / plain + a session fixture", "marked", "plain + a session fixture")
    line("glue-only stand-in / plain", "marked, glue-only stand-in", "plain", "   (the floor)")
    line(
        "marked / glue-only stand-in", "marked", "marked, glue-only stand-in", "   (roofline work)"
    )
    line(
        "work removed / plain",
        "marked, roofline work removed",
        "plain",
        "   (marks, kernels, fixture, hooks)",
    )
    for label, source in (("wall", wall), ("CPU", used)):
        per_test = (source["marked"] - source["plain"]) / TESTS * 1e3
        fixture = (source["plain + a session fixture"] - source["plain"]) / TESTS * 1e3
        print(
            f"per marked test ({label}): {per_test:.3f} ms in all,"
            f" of which pytest's fixture request {fixture:.3f} ms"
        )
    paired = [m / p for m, p in zip(times["marked"], times["plain"], strict=True)]
    print(f"marked / plain wall per run: {', '.join(f'{r:.3f}' for r in paired)}")


if __name__ == "__main__":
    main()
