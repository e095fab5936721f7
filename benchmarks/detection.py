"""Regression detection on this machine: ``--roofline-compare`` next to pytest-benchmark.

Run: python benchmarks/detection.py [RUNS]       (RUNS defaults to 40)
Needs pytest-benchmark: pip install -e ".[bench]". Takes several minutes (about 10 s
per run pair on a 2-vCPU host); progress goes to stderr, the table to stdout.

The kernel is a numpy fp64 256x256x256 GEMM, declared as
``kernels.matmul(256, 256, 256, "fp64")`` on ``hardware="local"``. Before anything else
this script times the GEMM (median of 200 calls) and writes a third of that time into
the generated module as a constant: with ``DETECTION_SLOW=1`` in the environment, every
call also busy-waits that long, so the time per call grows by a third and the
throughput drops by 25 %.

In a temporary folder it then

1. saves a baseline with each tool, from the unchanged function: ours with
   ``--roofline-save base`` (``-p no:benchmark``), pytest-benchmark with
   ``--benchmark-save=base`` (``-p no:roofline``), timing the same function with its
   ``benchmark`` fixture;
2. runs RUNS rounds; each round runs the unchanged and the slowed function (in
   alternating order) with each tool: ours with ``--roofline-compare base``,
   pytest-benchmark with ``--benchmark-compare=0001 --benchmark-compare-fail=median:10%``;
3. counts the runs each tool failed with a regression: the detection rate on slowed
   runs and the false-alarm rate on unchanged runs. Runs that failed for another reason
   are counted apart.

It prints that table, and the median over the runs of what each tool measured against
its baseline (ours: utilization / baseline utilization; pytest-benchmark: median time
/ baseline median time, inverted so that both read as throughput ratios), with the
fraction of runs in which that figure alone fell 10 % or more below the baseline.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_RUNS = 40
SIZE = 256

GEMM = """\
import os
import time

import numpy as np

A = np.random.default_rng(0).standard_normal(({n}, {n}))
B = np.random.default_rng(1).standard_normal(({n}, {n}))
EXTRA_NS = {extra_ns}  # a third of the GEMM's median time, measured once beforehand
SLOW = os.environ.get("DETECTION_SLOW") == "1"
_now = time.perf_counter_ns


def gemm():
    c = A @ B
    if SLOW:
        end = _now() + EXTRA_NS
        while _now() < end:
            pass
    return c
"""

TEST_OURS = """\
import pytest

from pytest_roofline import kernels

from gemm import gemm


@pytest.mark.roofline(kernels.matmul({n}, {n}, {n}, "fp64"), hardware="local")
def test_gemm(roofline):
    roofline.measure(gemm)
"""

TEST_BENCHMARK = """\
from gemm import gemm


def test_gemm(benchmark):
    benchmark(gemm)
"""


def gemm_seconds(calls: int = 200) -> float:
    """Median time of one fp64 GEMM of SIZE, after a warm-up."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((SIZE, SIZE)), rng.standard_normal((SIZE, SIZE))
    for _ in range(20):
        a @ b
    times = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        a @ b
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e9


class Runner:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bounds: set[float] = set()
        """Every bound ours judged against (one, unless 'local' was measured again)."""
        self.storage = f"--benchmark-storage=file://{folder / 'bench'}"

    def pytest(self, args: list[str], slow: bool) -> tuple[int, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(self.folder / "pycache")
        env["DETECTION_SLOW"] = "1" if slow else "0"
        command = [sys.executable, "-m", "pytest", "-q", *args]
        done = subprocess.run(
            command, cwd=self.folder, env=env, capture_output=True, text=True, check=False
        )
        return done.returncode, done.stdout + done.stderr

    def ours(self, extra: list[str], slow: bool) -> tuple[int, str]:
        return self.pytest(["-p", "no:benchmark", "test_ours.py", *extra], slow)

    def benchmark(self, extra: list[str], slow: bool) -> tuple[int, str]:
        return self.pytest(["-p", "no:roofline", "test_benchmark.py", self.storage, *extra], slow)

    def save(self) -> float:
        """Save both baselines; returns pytest-benchmark's baseline median."""
        for code, output in (
            self.ours(["--roofline-save", "base"], slow=False),
            self.benchmark(["--benchmark-save=base", "--benchmark-json=saved.json"], False),
        ):
            if code != 0:
                sys.exit(f"saving a baseline failed:\n{output[-3000:]}")
        saved = json.loads((self.folder / "saved.json").read_text())
        return float(saved["benchmarks"][0]["stats"]["median"])

    def compare_ours(self, slow: bool) -> tuple[str, float | None]:
        """('regression' | 'pass' | 'other', utilization / baseline utilization)."""
        code, output = self.ours(
            ["--roofline-compare", "base", "--roofline-json", "ours.json"], slow
        )
        ratio = None
        try:
            (result,) = json.loads((self.folder / "ours.json").read_text())["results"]
            ratio = result["utilization"] / result["baseline_utilization"]
            self.bounds.add(result["bound_seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        (self.folder / "ours.json").unlink(missing_ok=True)
        if code == 0:
            return "pass", ratio
        regressed = "dropped to" in output or "less throughput than in baseline" in output
        if regressed and not slow:  # a false alarm: say what it saw
            said = ("dropped to", "checked")
            lines = [line for line in output.splitlines() if any(w in line for w in said)]
            print("false alarm: " + " | ".join(lines)[:1500], file=sys.stderr)
        return ("regression" if regressed else "other"), ratio

    def compare_benchmark(self, slow: bool, base_median: float) -> tuple[str, float | None]:
        """('regression' | 'pass' | 'other', baseline median / median)."""
        code, output = self.benchmark(
            [
                "--benchmark-compare=0001",
                "--benchmark-compare-fail=median:10%",
                "--benchmark-json=current.json",
            ],
            slow,
        )
        ratio = None
        try:
            current = json.loads((self.folder / "current.json").read_text())
            ratio = base_median / current["benchmarks"][0]["stats"]["median"]
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            pass
        (self.folder / "current.json").unlink(missing_ok=True)
        if "Performance has regressed" in output:
            return "regression", ratio
        return ("pass" if code == 0 else "other"), ratio


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_RUNS
    typical = gemm_seconds()
    extra_ns = round(typical / 3 * 1e9)
    folder = Path(tempfile.mkdtemp(prefix="roofline-detection-"))
    tools = ("ours", "pytest-benchmark")
    outcomes = {(tool, slow): [] for tool in tools for slow in (False, True)}
    ratios: dict[tuple[str, bool], list[float]] = {key: [] for key in outcomes}
    others: list[str] = []
    runner = Runner(folder)
    base_median = 0.0
    started = time.perf_counter()
    try:
        (folder / "gemm.py").write_text(GEMM.format(n=SIZE, extra_ns=extra_ns))
        (folder / "test_ours.py").write_text(TEST_OURS.format(n=SIZE))
        (folder / "test_benchmark.py").write_text(TEST_BENCHMARK)
        (folder / "pytest.ini").write_text("[pytest]\n")
        base_median = runner.save()
        print(f"baselines saved ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        for index in range(runs):
            order = (False, True) if index % 2 == 0 else (True, False)
            for slow in order:
                for tool in tools if index % 2 == 0 else reversed(tools):
                    if tool == "ours":
                        outcome, ratio = runner.compare_ours(slow)
                    else:
                        outcome, ratio = runner.compare_benchmark(slow, base_median)
                    outcomes[tool, slow].append(outcome)
                    if ratio is not None:
                        ratios[tool, slow].append(ratio)
                    if outcome == "other":
                        others.append(f"run {index + 1}, {tool}, slow={slow}")
            done = {key: value.count("regression") for key, value in outcomes.items()}
            print(
                f"run {index + 1}/{runs} ({time.perf_counter() - started:.0f} s): failed"
                f" unchanged ours {done['ours', False]}, pb {done['pytest-benchmark', False]};"
                f" slowed ours {done['ours', True]}, pb {done['pytest-benchmark', True]}",
                file=sys.stderr,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    minutes = (time.perf_counter() - started) / 60
    print(
        f"fp64 {SIZE}^3 GEMM: median {typical * 1e3:.3f} ms here; slowed adds a busy-wait"
        f" of {extra_ns / 1e6:.3f} ms (throughput -25 %)"
    )
    print(f"pytest-benchmark's baseline median: {base_median * 1e3:.3f} ms per call")
    print(f"{runs} runs of each tool on each variant, alternating; {minutes:.1f} minutes")
    print()
    header = (
        f"{'tool':<17} | {'detected (slowed)':>18} | {'false alarms':>13} | {'other':>5}"
        f" | {'median ratio unchanged':>22} | {'median ratio slowed':>19}"
    )
    print(header)
    print("-" * len(header))
    for tool in tools:
        slowed, unchanged = outcomes[tool, True], outcomes[tool, False]
        hits, alarms = slowed.count("regression"), unchanged.count("regression")
        other = slowed.count("other") + unchanged.count("other")
        cells = []
        for slow in (False, True):
            values = ratios[tool, slow]
            below = sum(v < 0.9 for v in values)
            cells.append(
                f"{statistics.median(values):.3f} ({below}/{len(values)} <0.9)" if values else "-"
            )
        print(
            f"{tool:<17} | {hits:>3}/{len(slowed):<3} {hits / len(slowed):>6.1%}   "
            f" | {alarms:>3}/{len(unchanged):<3} {alarms / len(unchanged):>5.1%}"
            f" | {other:>5} | {cells[0]:>22} | {cells[1]:>19}"
        )
    print()
    print("ratio: throughput against the baseline (ours: utilization / baseline utilization;")
    print("pytest-benchmark: baseline median / median); '<0.9': runs where it fell 10 % or more")
    if len(runner.bounds) > 1:
        print(f"the bound of 'local' changed during the runs: {len(runner.bounds)} values")
    if others:
        print("runs that failed for another reason: " + "; ".join(others))


if __name__ == "__main__":
    main()
