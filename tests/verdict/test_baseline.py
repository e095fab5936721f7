"""Baselines: saved whole, read back, bad files rejected in one line, regressions found."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_roofline import Measurement, bound, kernels
from pytest_roofline.verdict.baseline import (
    BaselineError,
    Entry,
    compare,
    entry_of,
    load,
    path_for,
    regression,
    save,
    saved_names,
)
from pytest_roofline.verdict.record import Result

# make_result's kernel and hardware: matmul 1024^3 fp32 on the H100 SXM.
BOUND = bound(kernels.matmul(1024, 1024, 1024, "fp32"), "h100-sxm")  # 32.05 µs (datasheet)


@pytest.fixture
def result_at(make_result: Callable[..., Result]) -> Callable[..., Result]:
    """The result of 20 rounds at ``slowdown`` times the bound, the slowest ``spread``
    slower than the fastest (no budget)."""

    def result(slowdown: float, spread: float = 0.0, nodeid: str = "t.py::gemm") -> Result:
        t = BOUND.seconds * slowdown
        samples = [t * (1 + spread * i / 19) for i in range(20)]
        return make_result(Measurement.from_samples(samples), nodeid=nodeid)

    return result


def saved(tmp_path: Path, *results: Result) -> Path:
    path = path_for(tmp_path, "main")
    save(path, "main", list(results), {"cpu": "test"})
    return path


def test_save_and_load_round_trip(tmp_path: Path, result_at) -> None:
    path = saved(tmp_path, result_at(2.0))
    assert path == tmp_path / ".roofline" / "main.json"
    data = json.loads(path.read_text())
    assert data["schema"] == "pytest-roofline-baseline/1"
    assert data["fingerprint"] == {"cpu": "test"}
    baseline = load(path, "main")
    entry = baseline.entries["t.py::gemm"]
    assert entry.utilization == pytest.approx(0.5)
    assert entry.best == pytest.approx(0.5)


def test_a_significant_drop_beyond_the_allowance_is_a_regression(tmp_path: Path, result_at) -> None:
    baseline = load(saved(tmp_path, result_at(2.0)), "main")  # 50 %
    # 25 % slower: utilization 40 %, a 20 % drop, intervals disjoint.
    message = regression(result_at(2.5), baseline, 0.10)
    assert message is not None
    assert "dropped to 40.0% of its bound" in message
    assert "from 50.0%" in message
    assert "20.0% lower, more than the 10.0% allowed" in message
    # Within the allowance, or with a larger one, it is not.
    assert regression(result_at(2.1), baseline, 0.10) is None
    assert regression(result_at(2.5), baseline, 0.25) is None
    # Faster is never a regression.
    assert regression(result_at(1.5), baseline, 0.10) is None


def test_a_drop_is_judged_on_the_best_stretch(tmp_path: Path, result_at, make_result) -> None:
    baseline = load(saved(tmp_path, result_at(2.0)), "main")  # 50 %
    # A neighbour's burst slows a first measurement's six windows to 2.5x the bound
    # (40 %); a re-measurement's six run as fast as the baseline did. Noise only slows:
    # no regression.
    t = BOUND.seconds
    busy = make_result(
        Measurement.from_samples([2.5 * t] * 24 + [2.0 * t] * 24, window_sizes=[4] * 12),
        nodeid="t.py::gemm",
    )
    assert busy.median_utilization == pytest.approx(1 / 2.25)
    assert regression(busy, baseline, 0.10) is None
    # Every window at 2.5x: the drop persists in the best stretch, and the message gives
    # the median with its interval beside it.
    message = regression(result_at(2.5), baseline, 0.10)
    assert message is not None
    assert message.endswith("; median now 40.0% (95% CI 40.0%-40.0%)")


def test_tests_missing_from_the_baseline_are_not_compared(tmp_path: Path, result_at) -> None:
    baseline = load(saved(tmp_path, result_at(2.0)), "main")
    assert regression(result_at(9.0, nodeid="t.py::new"), baseline, 0.10) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline 'main' not found at *; save one with --roofline-save main"),
        ("{not json", "not JSON: Expecting property name * at line 1 column 2; save it again"),
        (
            '{"schema": "pytest-roofline-baseline/0", "results": {}}',
            "has schema 'pytest-roofline-baseline/0', not 'pytest-roofline-baseline/1'",
        ),
        ('{"schema": "pytest-roofline-baseline/1", "results": {"a": {}}}', "is corrupt"),
        ("[1, 2]", "holds a JSON list, not a baseline; save it again with --roofline-save main"),
        ('{"results": {}}', "has no schema"),
        (
            '{"schema": "pytest-roofline-baseline/1", "fingerprint": {}, "results": {"a":'
            ' {"utilization": 0.5, "utilization_ci": [0.4, 0.6], "best_utilization": NaN,'
            ' "label": "k", "hardware": "h"}}}',
            "a.best_utilization is nan, not a finite number; save it again",
        ),
    ],
)
def test_bad_baselines_are_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = path_for(tmp_path, "main")
    if content is not None:
        path.parent.mkdir()
        path.write_text(content)
    with pytest.raises(BaselineError) as error:
        load(path, "main")
    text = str(error.value)
    assert "\n" not in text
    for part in message.split("*"):
        assert part.strip(" ;") in text


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".hidden"])
def test_baseline_names_are_plain_file_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(BaselineError, match="must be letters"):
        path_for(tmp_path, name)


def test_on_the_same_machine_the_times_are_compared(tmp_path: Path, result_at, make_result) -> None:
    # The baseline: 2x its bound (50 %). Now the ceilings were measured 25 % lower (a
    # busy calibration) and the code got 25 % slower: utilization is unchanged on the new
    # bound, which is how another machine is compared, but on the same machine both runs
    # are judged against the baseline's bound, and the drop shows.
    baseline = load(saved(tmp_path, result_at(2.0)), "main")
    longer_bound = BOUND.model_copy(update={"seconds": BOUND.seconds * 1.25})
    now = make_result(
        Measurement.from_samples([2.5 * BOUND.seconds] * 20),
        bound_=longer_bound,
        nodeid="t.py::gemm",
    )
    assert now.utilization == pytest.approx(0.5)
    assert regression(now, baseline, 0.10, same_machine=False) is None
    message = regression(now, baseline, 0.10, same_machine=True)
    assert message is not None
    assert "dropped to 40.0% of its bound in its best stretch from 50.0%" in message


# -- read side: reports as entries, two saved runs compared, the saved names --------------


def test_a_report_record_reads_as_the_entry_a_baseline_saves(tmp_path: Path, result_at) -> None:
    result = result_at(2.0, spread=0.5)
    saved_entry = load(saved(tmp_path, result), "main").entries["t.py::gemm"]
    record = result.model_dump(mode="json")
    entry = entry_of(record)
    assert entry == saved_entry
    assert entry.outcome == "passed"
    assert entry.statistics == record["statistics"]


def test_a_record_cut_down_by_hand_has_its_one_figure_as_interval() -> None:
    entry = entry_of({"nodeid": "t.py::a", "utilization": 0.4})
    assert entry is not None
    assert (entry.utilization, entry.low, entry.high, entry.best) == (0.4, 0.4, 0.4, 0.4)
    assert entry_of({"nodeid": "t.py::a", "utilization": None}) is None


def test_compare_puts_both_runs_on_one_bound_and_keeps_the_intervals() -> None:
    before = Entry(0.5, 0.45, 0.55, 0.5, "k", "local", bound=1e-3)
    # New ceilings 25 % lower (bound 1.25 ms), code 25 % slower: 50 % of each bound.
    after = Entry(0.5, 0.40, 0.52, 0.5, "k", "local", bound=1.25e-3)
    drop = compare(before, after, same_machine=True)
    assert drop is not None
    # 0.5 x 1 / 1.25 = 0.4 on the old bound: 1 - 0.4 / 0.5 = 20 % lower; the interval
    # scales alike to 0.32-0.416, which overlaps 0.45-0.55 in nothing.
    assert drop.now == pytest.approx(0.4)
    assert drop.relative == pytest.approx(0.2)
    assert drop.now_interval == pytest.approx((0.32, 0.416))
    assert drop.beyond(0.10)
    assert drop.significant
    # On another machine the utilizations compare as they are.
    elsewhere = compare(before, after)
    assert elsewhere is not None
    assert elsewhere.relative == pytest.approx(0.0)


def test_a_drop_whose_interval_overlaps_is_not_significant() -> None:
    before = Entry(0.5, 0.40, 0.55, 0.5, "k", "h100-sxm")
    after = Entry(0.43, 0.38, 0.52, 0.43, "k", "h100-sxm")
    drop = compare(before, after)
    assert drop is not None
    assert drop.beyond(0.10)  # 14 % lower
    assert not drop.significant  # 0.52 >= 0.40


def test_saved_names(tmp_path: Path, result_at) -> None:
    assert saved_names(tmp_path) == []
    for name in ("release-1.2", "main"):
        save(path_for(tmp_path, name), name, [result_at(2.0)], {})
    (tmp_path / ".roofline" / "notes.txt").write_text("not a baseline")
    assert saved_names(tmp_path) == ["main", "release-1.2"]
