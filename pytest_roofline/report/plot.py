"""The roofline chart as an image file (PNG, SVG, PDF: matplotlib decides by the suffix).

For slides, papers and wikis, which want a picture rather than an HTML page. It draws the
same :class:`~pytest_roofline.report.chart.Chart` the HTML report does (same roofs, ridge
points, axis ranges and outcome colours), one subplot per hardware that has kernel
results. matplotlib is an optional extra (``pytest-roofline[plot]``): the plugin and the
HTML report never need it, so it is imported only when a plot is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_roofline.core import atomic
from pytest_roofline.core.units import (
    BANDWIDTH,
    FLOP_RATE,
    format_quantity,
)
from pytest_roofline.errors import RooflineError
from pytest_roofline.report.chart import (
    LEVEL_COLOR,
    MEMORY_COLOR,
    ROOF_COLORS,
    Chart,
    chart_model,
)
from pytest_roofline.report.format import OUTCOMES, figure


def plot(document: dict[str, Any], path: Path) -> None:
    """Write the roofline charts of a report document to ``path``.

    Raises :class:`RooflineError` (one line) when matplotlib is missing or no result is a
    kernel (serving results have no place on a device's roofline; see ``chart``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: CI machines and servers have none
        from matplotlib import pyplot
    except ImportError:
        raise RooflineError(
            "roofline plots need matplotlib: install pytest-roofline[plot]"
            " (pip install 'pytest-roofline[plot]')"
        ) from None

    results: list[dict[str, Any]] = list(document.get("results") or [])
    names = list(
        dict.fromkeys(
            str(r.get("hardware", "")) for r in results if r.get("kind", "kernel") == "kernel"
        )
    )
    if not names:
        raise RooflineError("roofline plot: the report has no kernel results to draw")
    # No date and no random element ids: identical reports give identical files.
    suffix = path.suffix.lower()
    metadata = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}}.get(suffix)
    with matplotlib.rc_context({"svg.hashsalt": "pytest-roofline"}):
        canvas, axes = pyplot.subplots(
            len(names), 1, figsize=(8.0, 5.2 * len(names)), squeeze=False, layout="constrained"
        )
        try:
            for ax, name in zip(axes[:, 0], names, strict=True):
                _draw(ax, chart_model(results, name))
            atomic.make_folder(path)
            canvas.savefig(path, dpi=120, metadata=metadata)
        finally:
            pyplot.close(canvas)


def _draw(ax: Any, chart: Chart) -> None:
    """One hardware's roofline on ``ax``: roofs per dtype, slopes per memory level, points."""
    (x_lo, x_hi), (y_lo, y_hi) = chart.x_range, chart.y_range
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    top = max((roof.peak for roof in chart.roofs), default=y_hi)
    for slope in chart.slopes:
        end = top / slope.bandwidth
        ax.plot(
            [x_lo, end],
            [x_lo * slope.bandwidth, top],
            color=LEVEL_COLOR if slope.cache else MEMORY_COLOR,
            linestyle="--" if slope.cache else "-",
            linewidth=1.2,
            label=f"{'/'.join(slope.names)} {format_quantity(slope.bandwidth, BANDWIDTH)}",
        )
    for i, roof in enumerate(chart.roofs):
        color = ROOF_COLORS[i % len(ROOF_COLORS)]
        ax.plot(
            [x_lo, roof.ridge, x_hi],
            [x_lo * roof.bandwidth, roof.peak, roof.peak],
            color=color,
            linewidth=2,
            label=f"{'/'.join(roof.dtypes)} {format_quantity(roof.peak, FLOP_RATE)}",
        )
        ax.plot([roof.ridge], [roof.peak], "o", color=color, markerfacecolor="white")
        ax.annotate(
            f"ridge {figure(roof.ridge)}",
            (roof.ridge, roof.peak),
            textcoords="offset points",
            xytext=(-6, 6),
            ha="right",
            fontsize=8,
            color=color,
        )
    # One scatter per outcome, in the order every legend lists them.
    for style in OUTCOMES:
        mine = [p for p in chart.points if p.outcome == style.name]
        if mine:
            ax.scatter(
                [p.intensity for p in mine],
                [p.achieved for p in mine],
                s=40,
                color=style.colour,
                edgecolors="white",
                zorder=5,
                label=style.name,
            )
    ax.set_title(f"roofline of {chart.hardware}")
    ax.set_xlabel("operational intensity (FLOP/byte)")
    ax.set_ylabel("performance (FLOP/s)")
    ax.grid(True, which="major", color="#e0e0e0")
    ax.legend(fontsize=7, loc="lower right", ncol=2 if len(chart.roofs) > 4 else 1)
    if chart.skipped:
        ax.text(
            0.01,
            0.99,
            f"{chart.skipped} result(s) not plotted (no measurement or no FLOPs)",
            transform=ax.transAxes,
            va="top",
            fontsize=7,
        )
