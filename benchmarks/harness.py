"""The plugin's timing harness, ``roofline.measure``, next to pytest-benchmark.

Run: python benchmarks/harness.py [REPEATS]      (REPEATS defaults to 3)
Needs pytest-benchmark: pip install -e ".[bench]".

Generates, in a temporary folder, one test file with three busy-wait functions (they
spin on ``time.perf_counter_ns`` for 1 µs, 100 µs and 10 ms; no sleeping) and, for each,
a test timing it with pytest-benchmark's ``benchmark`` fixture and a test timing it
with ``roofline.measure`` (declared as a tiny ``kernels.custom`` on ``h100-sxm``, so no
calibration runs, and with no budget). One pytest session runs all six tests with
``--benchmark-json`` and ``--roofline-json``; a ``conftest.py`` times each test's whole
protocol (setup, call, the plugin's verdict, teardown). The session is repeated REPEATS
times, and for every repeat and function the script prints each tool's median per call,
the ratio of the medians (ours / pytest-benchmark), each tool's coefficient of variation
(pytest-benchmark: stddev / mean of its rounds; ours: ``Measurement.cv``), each tool's
rounds times calls per round, and the wall time each test took.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_REPEATS = 3
FUNCTIONS = {"1us": 1_000, "100us": 100_000, "10ms": 10_000_000}

TEST_FILE = """\
import time

import pytest

from pytest_roofline import kernels

_now = time.perf_counter_ns
WORK = kernels.custom("spin", flops=1, bytes=1)


def spin(nanoseconds):
    end = _now() + nanoseconds
    while _now() < end:
        pass

"""

FUNCTION = """

def spin_{name}():
    spin({ns})


def test_benchmark_{name}(benchmark):
    benchmark(spin_{name})


@pytest.mark.roofline(WORK, hardware="h100-sxm")
def test_roofline_{name}(roofline):
    roofline.measure(spin_{name})
"""

CONFTEST = """\
import json
import os
import time

import pytest

WALL = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.perf_counter()
    yield
    WALL[item.name] = time.perf_counter() - started


def pytest_sessionfinish(session):
    with open(os.environ["HARNESS_WALL_JSON"], "w") as handle:
        json.dump(WALL, handle)
"""


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    env["HARNESS_WALL_JSON"] = str(folder / "wall.json")
    return env


def session(folder: Path) -> dict[str, dict[str, float]]:
    """Run the six tests once; figures per test name."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--benchmark-json=benchmark.json",
        "--roofline-json=roofline.json",
        "test_harness.py",
    ]
    done = subprocess.run(
        command, cwd=folder, env=environment(folder), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    figures: dict[str, dict[str, float]] = {}
    for bench in json.loads((folder / "benchmark.json").read_text())["benchmarks"]:
        stats = bench["stats"]
        figures[bench["name"]] = {
            "median": stats["median"],
            "cv": stats["stddev"] / stats["mean"],
            "rounds": stats["rounds"],
            "loops": stats["iterations"],
        }
    for result in json.loads((folder / "roofline.json").read_text())["results"]:
        stats = result["statistics"]
        name = result["nodeid"].split("::")[-1]
        figures[name] = {
            "median": stats["median"],
            "cv": stats["cv"],
            "rounds": stats["rounds"],
            "loops": stats["loops"],
        }
    for name, seconds in json.loads((folder / "wall.json").read_text()).items():
        figures.setdefault(name, {})["wall"] = seconds
    return figures


def duration(seconds: float) -> str:
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def rounds(figures: dict[str, float]) -> str:
    """'rounds x calls per round'."""
    return f"{figures['rounds']:.0f}x{figures['loops']:.0f}"


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REPEATS
    folder = Path(tempfile.mkdtemp(prefix="roofline-harness-"))
    source = TEST_FILE + "".join(
        FUNCTION.format(name=name, ns=ns) for name, ns in FUNCTIONS.items()
    )
    runs = []
    try:
        (folder / "test_harness.py").write_text(source)
        (folder / "conftest.py").write_text(CONFTEST)
        (folder / "pytest.ini").write_text("[pytest]\n")
        for repeat in range(repeats):
            runs.append(session(folder))
            print(f"session {repeat + 1}/{repeats} done", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    print("median: per call; ratio: ours / pytest-benchmark; cv: stddev / mean of the rounds;")
    print("rounds: rounds x calls per round (a round's time / calls is one sample);")
    print("wall: the test's whole protocol (setup, call, verdict, teardown)")
    header = (
        f"{'rep':>3} {'function':>8} | {'pb median':>10} {'our median':>10} {'ratio':>6}"
        f" | {'pb cv':>7} {'our cv':>7} | {'pb rounds':>12} {'our rounds':>12}"
        f" | {'pb wall':>8} {'our wall':>8}"
    )
    print(header)
    print("-" * len(header))
    for repeat, figures in enumerate(runs, 1):
        for name in FUNCTIONS:
            pb, ours = figures[f"test_benchmark_{name}"], figures[f"test_roofline_{name}"]
            print(
                f"{repeat:>3} {name:>8} | {duration(pb['median']):>10}"
                f" {duration(ours['median']):>10} {ours['median'] / pb['median']:>6.3f}"
                f" | {pb['cv']:>7.2%} {ours['cv']:>7.2%}"
                f" | {rounds(pb):>12} {rounds(ours):>12}"
                f" | {duration(pb['wall']):>8} {duration(ours['wall']):>8}"
            )


if __name__ == "__main__":
    main()
