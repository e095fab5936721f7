"""The plugin at scale: time and peak memory of runs of 1,000 and 10,000 roofline tests.

Run: python benchmarks/scale.py [SIZES...]      (SIZES defaults to 1000 10000)

For each size, generates a file of that many tests that report a precomputed figure
(matmul, dot and custom kernels in turn, on h100-sxm and a100-sxm4-80gb), and the same
tests unmarked; runs each with ``python -m pytest -q -p no:cacheprovider`` in a
subprocess, the marked one writing the JSON, Markdown and HTML reports, and prints wall
time, time per test, and the child's peak resident memory (``ru_maxrss``). Growth is
linear when the per-test time and the memory per test stay flat from 1k to 10k.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SIZES = (1000, 10_000)


def kernel_source(i: int) -> str:
    n = 64 * (1 + i % 8)
    kind = i % 3
    if kind == 0:
        return f'kernels.matmul({n}, {n}, {n}, "bf16")'
    if kind == 1:
        return f'kernels.dot({n * 1024}, "fp32")'
    return f'kernels.custom("step {i}", flops="{i + 1} GFLOP", bytes="{n} MB", dtype="fp16")'


def write_suite(folder: Path, count: int) -> None:
    from pytest_roofline import kernels
    from pytest_roofline.physics import bound  # the project itself, only for the figures

    marked = ["import pytest", "", "from pytest_roofline import kernels", ""]
    plain = ["import pytest", ""]
    for i in range(count):
        hardware = "h100-sxm" if i % 2 else "a100-sxm4-80gb"
        kernel = eval(kernel_source(i), {"kernels": kernels})
        reported = bound(kernel, hardware).seconds * (1.5 + i % 7)  # 13 % to 67 %
        marked += [
            "",
            f'@pytest.mark.roofline({kernel_source(i)}, hardware="{hardware}")',
            f"def test_{i:05d}(roofline):",
            f"    roofline.report(seconds={reported!r})",
            "",
        ]
        plain += ["", f"def test_{i:05d}():", "    pass", ""]
    (folder / "test_marked.py").write_text("\n".join(marked))
    (folder / "test_plain.py").write_text("\n".join(plain))
    (folder / "pytest.ini").write_text("[pytest]\n")


def run(folder: Path, args: list[str]) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS in MiB (a fresh process per run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    script = (
        "import resource, subprocess, sys;"
        "done = subprocess.run(sys.argv[1:]);"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(peak, file=sys.stderr); sys.exit(done.returncode)"
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    command += args
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, *command],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    peak_kib = float(done.stderr.strip().splitlines()[-1])
    return elapsed, peak_kib / 1024


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or list(DEFAULT_SIZES)
    print(f"{'tests':>7}  {'variant':<8}{'wall s':>9}{'ms/test':>9}{'peak MiB':>10}")
    rows = {}
    for count in sizes:
        folder = Path(tempfile.mkdtemp(prefix="roofline-scale-"))
        try:
            write_suite(folder, count)
            reports = [
                "--roofline-json",
                "r.json",
                "--roofline-markdown",
                "r.md",
                "--roofline-html",
                "r.html",
            ]
            for name, args in (
                ("plain", ["test_plain.py"]),
                ("marked", ["test_marked.py", *reports]),
            ):
                run(folder, args)  # fill the bytecode cache
                wall, peak = run(folder, args)
                rows[count, name] = (wall, peak)
                print(f"{count:>7}  {name:<8}{wall:>9.2f}{wall / count * 1e3:>9.3f}{peak:>10.0f}")
            sizes_kib = {p.name: p.stat().st_size / 1024 for p in folder.glob("r.*")}
            print(
                f"{'':>7}  reports: " + ", ".join(f"{k} {v:,.0f} KiB" for k, v in sizes_kib.items())
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        for name in ("plain", "marked"):
            (w1, m1), (w2, m2) = rows[small, name], rows[large, name]
            print(
                f"{name}: time per test {w2 / large / (w1 / small):.2f}x from {small} to {large}"
                f" tests; memory +{m2 - m1:.0f} MiB ({(m2 - m1) / (large - small) * 1024:.1f} KiB"
                " per extra test)"
            )
        (pw, pm), (mw, mm) = rows[large, "plain"], rows[large, "marked"]
        extra = (mw - pw) / large * 1e3
        print(
            f"the plugin's cost at {large} tests: {extra:.3f} ms and"
            f" {(mm - pm) / large * 1024:.1f} KiB per test"
        )


if __name__ == "__main__":
    main()
