"""plot(): the roofline chart as a PNG or SVG file through matplotlib, an optional extra:
the same roofs, numbers and colours as the HTML chart, a legend of exactly what is
drawn, and a key of every number's test."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline.errors import RooflineError
from pytest_roofline.report.chart import MEMORY_COLOR, chart_model
from pytest_roofline.report.chart_labels import roof_colour
from pytest_roofline.report.format import OUTCOME_COLORS
from pytest_roofline.report.plot import CHART_HEIGHT, DPI, KEY_LINE, draw, key_lines, plot

SAMPLE_KEY_LINES = 5 + 4
"""The sample's keys: h100-sxm's four rows and one reason, local's three and one reason."""


def _rgb(color: str) -> tuple[float, float, float]:
    return tuple(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def test_png_has_one_subplot_per_hardware_and_the_outcome_colours(
    tmp_path: Path, sample_document: Callable[[], dict[str, Any]]
) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.image
    import numpy as np

    path = tmp_path / "roofline.png"
    plot(sample_document(), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)[..., :3]
    # 8 inches wide; per hardware a chart and its key, a line per row and reason, and a
    # line to spare. Serving-only A100 gets no chart.
    height = (2 * CHART_HEIGHT + KEY_LINE * (SAMPLE_KEY_LINES + 2)) * DPI
    assert abs(image.shape[0] - height) <= 1
    assert image.shape[1] == 8 * DPI
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 100
    for outcome in ("passed", "failed", "impossible"):
        close = np.abs(image - np.array(_rgb(OUTCOME_COLORS[outcome]))).max(axis=2) < 0.02
        assert close.sum() > 20, outcome


def test_svg_is_well_formed_titled_and_reproducible(
    tmp_path: Path, sample_document: Callable[[], dict[str, Any]]
) -> None:
    pytest.importorskip("matplotlib")
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    plot(sample_document(), first)
    plot(sample_document(), second)
    text = first.read_text(encoding="utf-8")
    ET.fromstring(text)
    # matplotlib draws text as paths and keeps the string in a comment beside it.
    assert "roofline of h100-sxm" in text
    assert "roofline of local" in text
    assert "a100" not in text
    assert text == second.read_text(encoding="utf-8")
    said = re.findall(r"<!-- (.*?) -->", text)
    # Every dot's number (h100-sxm: 1, 3 and 4; local: 1 and 2), then the keys.
    assert [t for t in said if t.isdigit()] == ["1", "3", "4", "1", "2"]
    assert "  4  passed        50.0%  tests/test_gemm.py::test_gemm" in said
    assert "  2  not plotted          tests/test_half.py::test_unmeasured" in said


def test_a_report_without_kernels_is_a_one_line_error(
    tmp_path: Path, sample_document: Callable[[], dict[str, Any]]
) -> None:
    pytest.importorskip("matplotlib")
    document = sample_document()
    document["results"] = [r for r in document["results"] if r["kind"] == "serving"]
    with pytest.raises(RooflineError, match="no kernel results"):
        plot(document, tmp_path / "r.png")
    assert not (tmp_path / "r.png").exists()


def test_missing_matplotlib_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_document: Callable[[], dict[str, Any]]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(RooflineError) as error:
        plot(sample_document(), tmp_path / "r.png")
    message = str(error.value)
    assert "pytest-roofline[plot]" in message
    assert "\n" not in message
    assert not (tmp_path / "r.png").exists()


def test_the_legend_shows_what_is_drawn(sample_document: Callable[[], dict[str, Any]]) -> None:
    """Main memory's slope is one dark line, as the legend says; each roof is flat in
    its own colour; only the dtypes the tests computed in have a roof."""
    pytest.importorskip("matplotlib")
    from matplotlib import pyplot
    from matplotlib.colors import to_hex

    chart = chart_model(sample_document()["results"], "h100-sxm")
    canvas, ax = pyplot.subplots()
    try:
        draw(ax, chart)
        handles, labels = ax.get_legend_handles_labels()
        lines = {line.get_label(): line for line in ax.get_lines()}
    finally:
        pyplot.close(canvas)
    assert labels == [
        "memory 3.35 TB/s",
        "bf16 = fp16 989 TFLOP/s",
        "fp32 67 TFLOP/s",
        "passed",
        "failed",
        "impossible",
    ]
    memory = lines["memory 3.35 TB/s"]
    assert to_hex(memory.get_color()) == MEMORY_COLOR
    assert memory.get_linestyle() == "-"
    for i, label in enumerate(labels[1:3]):
        roof = lines[label]
        assert to_hex(roof.get_color()) == roof_colour(i)
        assert len(set(roof.get_ydata())) == 1  # flat: the slope below is memory's
    for handle, label in zip(handles[:3], labels[:3], strict=True):
        assert to_hex(handle.get_color()) == to_hex(lines[label].get_color())


def test_the_key_names_every_row_and_why_a_result_is_not_plotted(
    sample_document: Callable[[], dict[str, Any]],
) -> None:
    chart = chart_model(sample_document()["results"], "local")
    # Number, status as every report says it, utilization, node id; a reason below.
    assert key_lines(chart, 100) == [
        "  1  passed        30.0%  tests/test_local.py::test_sgemm32",
        "  2  passed        60.0%  tests/test_local.py::test_sgemm",
        "  3  not plotted          tests/test_local.py::test_copy",
        "                          no FLOPs: zero intensity has no place on a log axis",
    ]
    # A narrow key keeps the test's name and cuts the file's.
    assert key_lines(chart, 46)[0] == "  1  passed        30.0%  test_…::test_sgemm32"


def test_a_plot_makes_no_folder(
    tmp_path: Path, sample_document: Callable[[], dict[str, Any]]
) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(FileNotFoundError, match="missing"):
        plot(sample_document(), tmp_path / "missing" / "r.png")
    assert list(tmp_path.iterdir()) == []
