"""The plugin's overhead on a suite of many cheap tests.

Run: python benchmarks/overhead.py [RUNS]        (RUNS defaults to 7)

Generates, in a temporary folder, two test files of 500 tests each:

- ``test_marked.py``: every test carries ``@pytest.mark.roofline(kernel,
  hardware="h100-sxm")`` (matmul, dot and custom kernels in turn) and calls
  ``roofline.report(seconds=...)`` with a figure precomputed at twice the kernel's bound;
- ``test_plain.py``: the same bodies without the marker and the report call.

Each file runs with ``python -m pytest -q -p no:cacheprovider`` in a subprocess, and the
plain file once more with ``-p no:roofline`` (the plugin not loaded at all). The three
are run in turn, RUNS times, so a neighbour's load falls on all of them alike. Prints
the median wall time of each and the ratios marked / plain (the goal is <= 1.05) and
plain / plain without the plugin (the cost of the plugin when loaded but unused).

Bytecode is cached (in the temporary folder, via ``PYTHONPYCACHEPREFIX``) even when
``PYTHONDONTWRITEBYTECODE`` is set, as in a normal installation; one untimed run of each
variant fills the cache first.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 500
DEFAULT_RUNS = 7
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


def write_suite(folder: Path) -> None:
    sources = [kernel_source(i) for i in range(TESTS)]
    seconds = reported_seconds(sources)
    marked = ["import pytest", "", "from pytest_roofline import kernels", ""]
    plain = ["import pytest", ""]
    fixture = ["import pytest", "", "", "@pytest.fixture", "def noop():", "    return None", ""]
    for i, (source, reported) in enumerate(zip(sources, seconds, strict=True)):
        body = f"    assert sum(range({i % 50})) == {sum(range(i % 50))}"
        marked += [
            "",
            f'@pytest.mark.roofline({source}, hardware="h100-sxm")',
            f"def test_{i:04d}(roofline):",
            body,
            f"    roofline.report(seconds={reported!r})",
            "",
        ]
        plain += ["", f"def test_{i:04d}():", body, ""]
        fixture += ["", f"def test_{i:04d}(noop):", body, ""]
    (folder / "test_marked.py").write_text("\n".join(marked))
    (folder / "test_plain.py").write_text("\n".join(plain))
    (folder / "test_fixture.py").write_text("\n".join(fixture))
    (folder / "pytest.ini").write_text("[pytest]\n")


def environment(folder: Path) -> dict[str, str]:
    """Bytecode caching on, into ``folder``: pytest rewrites the asserts of every plugin
    module it imports, and without cached bytecode it does so again in every run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def run(folder: Path, args: list[str]) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    env = environment(folder)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_RUNS
    folder = Path(tempfile.mkdtemp(prefix="roofline-overhead-"))
    variants = {
        "marked": ["test_marked.py"],
        "plain": ["test_plain.py"],
        "plain, -p no:roofline": ["-p", "no:roofline", "test_plain.py"],
        "plain + a fixture": ["test_fixture.py"],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    try:
        write_suite(folder)
        for args in variants.values():  # warm the file system and .pyc caches
            run(folder, args)
        for repeat in range(runs):
            order = list(variants) if repeat % 2 == 0 else list(reversed(variants))
            for name in order:
                times[name].append(run(folder, variants[name]))
            print(f"run {repeat + 1}/{runs} done", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{TESTS} tests per file, {runs} runs each, alternating; {os.cpu_count()} CPUs")
    print()
    print(f"{'variant':<24}{'median s':>10}{'min s':>9}{'max s':>9}")
    for name, values in times.items():
        print(f"{name:<24}{median[name]:>10.3f}{min(values):>9.3f}{max(values):>9.3f}")
    print()
    ratio = median["marked"] / median["plain"]
    unused = median["plain"] / median["plain, -p no:roofline"]
    per_test = (median["marked"] - median["plain"]) / TESTS * 1e3
    verdict = "met" if ratio <= GOAL else "NOT met"
    print(f"marked / plain                  {ratio:.3f}   (goal <= {GOAL}: {verdict})")
    print(f"plain / plain -p no:roofline    {unused:.3f}   (plugin loaded but unused)")
    print(f"extra time per marked test      {per_test:.2f} ms")
    # Marked tests request the `roofline` fixture; pytest's fixture machinery alone
    # (a fixture that does nothing) separates its cost from the plugin's own work.
    with_fixture = median["marked"] / median["plain + a fixture"]
    fixture_cost = (median["plain + a fixture"] - median["plain"]) / TESTS * 1e3
    print(f"marked / plain + a fixture      {with_fixture:.3f}   (the plugin's own work)")
    print(f"pytest's fixture cost per test  {fixture_cost:.2f} ms")
    paired = [m / p for m, p in zip(times["marked"], times["plain"], strict=True)]
    print(f"marked / plain per run          {', '.join(f'{r:.3f}' for r in paired)}")


if __name__ == "__main__":
    main()
