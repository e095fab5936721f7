"""plot(): the roofline chart as a PNG or SVG file through matplotlib, an optional extra."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_roofline.errors import RooflineError
from pytest_roofline.report.format import OUTCOME_COLORS
from pytest_roofline.report.plot import plot


def _rgb(color: str) -> tuple[float, float, float]:
    return tuple(int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def test_png_has_one_subplot_per_hardware_and_the_outcome_colours(
    tmp_path: Path, sample_document: Callable[[], dict[str, Any]]
) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.image
    import numpy as np

    path = tmp_path / "out" / "roofline.png"  # the folder is created
    plot(sample_document(), path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(path)[..., :3]
    # 8 x 5.2 inches per hardware at 120 dpi; serving-only A100 gets no subplot.
    assert image.shape[:2] == (round(2 * 5.2 * 120), 8 * 120)
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
