"""Faults: a crashed xdist worker, a process killed mid-write, two runs saving one
baseline, an unwritable report path, and a run interrupted mid-measurement. Results
already measured or written must never be lost or corrupted."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_roofline.core import atomic

REPORTED = """
import pytest
from pytest_roofline import kernels

GEMM = kernels.matmul(4096, 4096, 4096, "bf16")

@pytest.mark.roofline(GEMM, hardware="h100-sxm", min_utilization=0.1)
@pytest.mark.parametrize("i", range({count}))
def test_reported(roofline, i):
    roofline.report(seconds=200e-6)
"""


def test_a_crashed_worker_is_named_and_the_others_still_report(
    pytester: pytest.Pytester, run, report_results
) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        test_many=REPORTED.format(count=6),
        test_crash="""
        import os
        import pytest
        from pytest_roofline import kernels

        @pytest.mark.roofline(kernels.dot(1000), hardware="h100-sxm")
        def test_crash(roofline):
            os._exit(3)
        """,
    )
    result = run("-n", "2", "--roofline-json", "out.json", "--roofline-markdown", "gap.md")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["*worker*crashed while running*test_crash*"])
    records = report_results(pytester.path / "out.json")
    assert len(records) == 6
    assert all(r["outcome"] == "passed" for r in records)
    assert "test_reported" in (pytester.path / "gap.md").read_text()


def test_a_write_killed_before_the_rename_leaves_the_old_file_whole(tmp_path: Path) -> None:
    # The worst moment to die: the new text is on disk in the temporary file, the rename
    # has not happened. A process killed there must leave the old report as it was.
    target = tmp_path / "report.json"
    target.write_text('{"old": true}\n')
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from pytest_roofline.core import atomic

        os.replace = lambda *args: os._exit(9)   # killed just before the rename
        atomic.write_text(Path({str(target)!r}), "x" * 10_000_000)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == 9
    assert json.loads(target.read_text()) == {"old": True}


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_litter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "baseline.json"
    target.write_text('{"old": true}\n')

    def full_disk(_: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_text(target, '{"new": true}\n')
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


def test_written_files_get_the_permissions_open_would_give(tmp_path: Path) -> None:
    """A temporary file is owner-only (0600); reports and baselines are meant to be shared,
    so the renamed file gets 0666 less the umask, as junit-xml and open() give."""
    import os

    previous = os.umask(0o022)
    try:
        atomic.write_text(tmp_path / "r.json", "{}")
        os.umask(0o077)
        atomic.write_text(tmp_path / "private.json", "{}")
    finally:
        os.umask(previous)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o600


def test_two_runs_saving_one_baseline_at_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(REPORTED.format(count=40))
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "--roofline-save",
        "main",
    ]
    runs = [
        subprocess.Popen(
            command, cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=300)[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    saved = json.loads((pytester.path / ".roofline" / "main.json").read_text())
    assert saved["schema"] == "pytest-roofline-baseline/1"
    assert len(saved["results"]) == 40
    assert not [p for p in (pytester.path / ".roofline").iterdir() if p.suffix == ".tmp"]
    # The lock files beside the baselines are kept out of version control.
    ignored = (pytester.path / ".roofline" / ".gitignore").read_text().splitlines()
    assert {"*.lock", "*.tmp"} <= set(ignored)


def test_an_unwritable_report_path_is_one_line_and_the_tests_stand(
    pytester: pytest.Pytester, run
) -> None:
    pytester.makepyfile(REPORTED.format(count=3))
    (pytester.path / "afile").write_text("a file, not a folder")
    result = run(
        "--roofline-json",
        "afile/out.json",
        "--roofline-markdown",
        "afile/gap.md",
        "--roofline-html",
        "missing/folder/gap.html",
    )
    result.assert_outcomes(passed=3)
    # The tests stand, but a report the run was asked for is missing: the exit status
    # says so, or CI would go on as if it had been written.
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str()
    result.stdout.fnmatch_lines(["*roofline: could not write*afile/out.json*"])
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output
    # the summary of the three results still reached the terminal
    assert output.count("test_reported[") >= 3


def test_an_interrupt_mid_measurement_keeps_earlier_results(
    pytester: pytest.Pytester, run, report_results
) -> None:
    pytester.makeconftest(
        """
        import gc
        def pytest_sessionfinish(session):
            with open("gc.txt", "w") as f:
                f.write(str(gc.isenabled()))
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from pytest_roofline import kernels

        GEMM = kernels.matmul(4096, 4096, 4096, "bf16")

        @pytest.mark.roofline(GEMM, hardware="h100-sxm")
        def test_a_reported(roofline):
            roofline.report(seconds=200e-6)

        calls = []

        def work():
            calls.append(1)
            if len(calls) == 20:
                raise KeyboardInterrupt   # Ctrl-C, or a timeout plugin's signal

        @pytest.mark.roofline(kernels.dot(1000), hardware="h100-sxm")
        def test_b_interrupted(roofline):
            roofline.measure(work)

        def test_c_never_run():
            pass
        """
    )
    result = run("--roofline-json", "out.json")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    (record,) = report_results(pytester.path / "out.json")
    assert record["nodeid"].endswith("test_a_reported")
    assert (pytester.path / "gc.txt").read_text() == "True"  # measure() restored the GC
