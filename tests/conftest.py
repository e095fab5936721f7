"""Shared fixtures.

The layout of tests/ mirrors the package (DESIGN.md section 3): tests/core/ for
pytest_roofline/core/, tests/plugin/ for the plugin (end to end, in pytest subprocesses),
and so on; tests/project/ holds what concerns the whole project (docs, layout rules,
bad-input campaigns, properties). What several files need lives here, once: the pytest
runner, the section 5 key list, the result factories and one result per outcome, the
made-up ``local`` ceilings, the header lines the plugin prints, and ways to step aside from
state a run holds (what only the report tests share is in tests/report/conftest.py). No
test patches a private module global: state is swapped through public functions.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline import Hardware, Kernel, Measurement, kernels
from pytest_roofline import bound as bound_of
from pytest_roofline.physics.bound import Bound
from pytest_roofline.specs import catalog
from pytest_roofline.verdict.record import Result, evaluate

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parents[1]


UNRELATED_PLUGINS = "-p no:hypothesispytest -p no:benchmark"
"""Plugins this project's test extras install that no pytest subprocess of these tests
uses. Loading hypothesis's plugin cost each pytest process 0.6 s of CPU (0.9 s against
0.3 s for a one-test run here), more than most of the runs themselves."""


@pytest.fixture(autouse=True)
def lean_subprocess_runs(request: pytest.FixtureRequest) -> None:
    """pytest subprocesses of a test start without :data:`UNRELATED_PLUGINS`, through
    ``PYTEST_ADDOPTS`` (set after pytester clears it for the run it isolates)."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("PYTEST_ADDOPTS", UNRELATED_PLUGINS)


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Run pytest in a subprocess in the pytester folder, as a user runs it.

    A wide terminal, so the short test summary lines are not cut.
    """
    monkeypatch.setenv("COLUMNS", "200")

    def run_pytest(*args: str) -> pytest.RunResult:
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args)

    return run_pytest


@pytest.fixture
def builtin_catalogs() -> Iterator[None]:
    """Names resolve in the library's own catalogs, not in the ones this run activated.

    Outside a pytest run no catalog is active; the plugin activates its run's own. This
    steps every active device and model catalog aside for one test, and back afterwards.
    """
    stepped_aside: list[catalog.Catalog[Any]] = []
    for kind in ("hardware", "model"):
        while (active := catalog.active(kind)) is not None:
            catalog.deactivate(active)
            stepped_aside.append(active)
    yield
    for each in reversed(stepped_aside):
        catalog.activate(each)


# -- results and reports ----------------------------------------------------------------


@pytest.fixture(scope="session")
def contract_keys() -> frozenset[str]:
    """The keys every result holds at least (DESIGN.md section 5)."""
    return frozenset(
        {
            "nodeid",
            "kind",
            "workload",
            "hardware",
            "hardware_spec",
            "bound_seconds",
            "measured_seconds",
            "utilization",
            "min_utilization",
            "bottleneck",
            "intensity",
            "ridge_point",
            "outcome",
            "statistics",
        }
    )


@pytest.fixture(scope="session")
def report_results() -> Callable[[Path], list[dict[str, Any]]]:
    """Reads the results of a JSON report (``--roofline-json``), checking its schema."""

    def results(path: Path) -> list[dict[str, Any]]:
        document = json.loads(path.read_text())
        assert document["schema"] == "pytest-roofline/1"
        found: list[dict[str, Any]] = document["results"]
        return found

    return results


@pytest.fixture(scope="session")
def make_result() -> Callable[..., Result]:
    """A Result as the verdict makes it, for a measurement of a kernel on some hardware.

    ``make_result(measurement, min_utilization=None, *, kernel=matmul 1024^3 fp32,
    hardware="h100-sxm", bound_=None, nodeid="t.py::t")``: ``measurement`` may be None
    (unmeasured); ``bound_`` replaces the one computed from the kernel and the hardware.
    """
    gemm = kernels.matmul(1024, 1024, 1024, "fp32")

    def result(
        measurement: Measurement | None,
        min_utilization: float | None = None,
        *,
        kernel: Kernel = gemm,
        hardware: str | Hardware = "h100-sxm",
        bound_: Bound | None = None,
        nodeid: str = "t.py::t",
    ) -> Result:
        device = hardware if isinstance(hardware, Hardware) else Hardware.named(hardware)
        return evaluate(
            nodeid=nodeid,
            label=kernel.label,
            workload=kernel.model_dump(),
            hardware_spec=device.model_dump(
                mode="json", exclude={"sources", "aliases", "description"}
            ),
            bound=bound_of(kernel, device) if bound_ is None else bound_,
            measurement=measurement,
            min_utilization=min_utilization,
        )

    return result


@pytest.fixture(scope="session")
def kernel_result(make_result: Callable[..., Result]) -> Callable[..., Result]:
    """A Result whose reported time reaches ``utilization`` of its bound (None: unmeasured).

    ``kernel_result(nodeid, utilization, budget=0.4, hardware="h100-sxm", kernel=matmul
    1024^3 bf16, regression=None)``: ``budget`` is the min_utilization; ``regression`` the
    note a baseline comparison leaves, which turns a pass into "regressed".
    """
    gemm = kernels.matmul(1024, 1024, 1024, "bf16")

    def result(
        nodeid: str,
        utilization: float | None,
        budget: float | None = 0.4,
        hardware: str | Hardware = "h100-sxm",
        kernel: Kernel = gemm,
        regression: str | None = None,
    ) -> Result:
        b = bound_of(kernel, hardware)
        measurement = (
            None if utilization is None else Measurement.from_reported(b.seconds / utilization)
        )
        found = make_result(measurement, budget, kernel=kernel, hardware=hardware, nodeid=nodeid)
        return found if regression is None else found.model_copy(update={"regression": regression})

    return result


@pytest.fixture(scope="session")
def every_outcome(kernel_result: Callable[..., Result]) -> Callable[[], list[Result]]:
    """``every_outcome()``: one result per outcome (a GEMM on h100-sxm, budget 40 %), listed
    in no particular order; new Results each call."""

    def results() -> list[Result]:
        return [
            kernel_result("t.py::test_passed", 0.9),
            kernel_result("t.py::test_regressed", 0.5, regression="dropped 30% below its baseline"),
            kernel_result("t.py::test_impossible", 3.0),
            kernel_result("t.py::test_failed", 0.2),
            kernel_result("t.py::test_unmeasured", None),
        ]

    return results


@pytest.fixture(scope="session")
def vllm_sample() -> Path:
    """The vLLM ``bench serve`` result the examples ship: LLaMA-2-70B on 8 A100s, 1000
    requests of 1024 + 512 tokens in 349.1 s."""
    return ROOT / "examples" / "serving" / "vllm_llama-2-70b_8xa100.sample.json"


# -- the machine ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_local() -> Hardware:
    """Made-up ``local`` ceilings, shaped like the ones the calibration measures, so no
    test that only needs some ``local`` runs the real calibration."""
    return Hardware(
        name="local",
        peak_flops={"fp64": 5e10, "fp32": 1e11},
        memory_bandwidth=2e10,
        ceiling_uncertainty=0.12,
        measured=True,
    )


@pytest.fixture(scope="session")
def local_header() -> dict[str, str]:
    """The header line a run prints about ``local`` as its default hardware (fnmatch
    patterns), by how the ceilings were got."""
    line = "roofline: default hardware local"
    return {
        "first use": f"{line} (this machine; ceilings measured on first use*",
        "measured": f"{line} (fp64 *), measured *",
        "cached": f"{line} (fp64 *), cached *",
        "ceilings": f"{line} (fp64 *FLOP/s, fp32 *, memory *B/s*",
    }


@pytest.fixture(scope="session")
def can_lock() -> Callable[[Path], bool]:
    """Whether another open file description can take the lock on ``path`` now (flock(2)
    semantics): how a test sees, from outside, that a run lock is held."""

    def can(path: Path) -> bool:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        else:
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True
        finally:
            os.close(handle)

    return can


@pytest.fixture
def numpy_imported(pytester: pytest.Pytester) -> Callable[[], bool]:
    """Whether the last pytest run in the pytester folder imported numpy (a conftest
    there notes it as the session finishes). Run with ``-p no:randomly``: pytest-randomly
    imports numpy itself, to seed it."""
    pytester.makeconftest(
        """
import sys

def pytest_sessionfinish(session):
    with open("numpy.txt", "w") as f:
        f.write(str("numpy" in sys.modules))
"""
    )

    def imported() -> bool:
        return (pytester.path / "numpy.txt").read_text() == "True"

    return imported
