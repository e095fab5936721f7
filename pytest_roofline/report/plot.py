"""The roofline chart as an image file (PNG, SVG, PDF: matplotlib decides by the suffix).

For slides, papers and wikis, which want a picture rather than an HTML page. It draws the
same :class:`~pytest_roofline.report.chart.Chart` the HTML report does (same roofs, ridge
points, axis ranges, outcome colours and point numbers, laid out by the same
:func:`~pytest_roofline.report.chart_labels.lay_out`), one chart per hardware that has
kernel results. Under each chart a key gives every number's test, and names the results
the chart leaves out with the reason: an image has no table to look them up in.

The legend beside the chart shows exactly what is drawn: main memory's slope in its dark
solid line, cache levels dashed, each dtype's flat roof in its colour, the outcomes' dots.
matplotlib is an optional extra (``pytest-roofline[plot]``): the plugin and the HTML
report never need it, so it is imported only when a plot is asked for.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pytest_roofline.core.units import percent
from pytest_roofline.errors import RooflineError
from pytest_roofline.report.chart import Chart, chart_model, roof_path, slope_path
from pytest_roofline.report.chart_labels import (
    Frame,
    Label,
    lay_out,
    roof_colour,
    roof_text,
    slope_colour,
    slope_text,
)
from pytest_roofline.report.format import OUTCOMES, cut_nodeid, outcome_style

DPI = 120
WIDTH = 8.0
CHART_HEIGHT = 4.6
"""Inches: the figure's width, and the height of each chart above its key."""
FONT = 7.0
"""Points: labels, legend and key."""
KEY_LINE = FONT * 1.3 / 72
"""Inches: one line of a chart's key."""
KEY_LINES = 40
"""Lines a key shows before it counts the rest (the HTML report lists every one)."""
MONO_EM = 0.602
"""The advance of a character of DejaVu Sans Mono, matplotlib's monospaced face, in ems."""
DOT_AREA = 40.0
"""A dot's area in points squared (matplotlib's ``s``)."""


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
    charts = [chart_model(results, name) for name in names]
    counts = [min(len(c.points) + 2 * len(c.unplotted), KEY_LINES + 1) for c in charts]
    heights = [h for count in counts for h in (CHART_HEIGHT, KEY_LINE * (count + 1))]
    # No date and no random element ids: identical reports give identical files.
    suffix = path.suffix.lower()
    metadata = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}}.get(suffix)
    with matplotlib.rc_context({"svg.hashsalt": "pytest-roofline"}):
        figure = pyplot.figure(figsize=(WIDTH, sum(heights)), dpi=DPI, layout="constrained")
        try:
            grid = figure.add_gridspec(len(heights), 1, height_ratios=heights)
            axes = [figure.add_subplot(grid[i, 0]) for i in range(len(heights))]
            for ax, key_ax, chart in zip(axes[::2], axes[1::2], charts, strict=True):
                draw(ax, chart)
                key_ax.set_axis_off()
            # Labels and keys go where the settled layout put each chart and key, and
            # take its pixels.
            figure.draw_without_rendering()
            for ax, key_ax, chart in zip(axes[::2], axes[1::2], charts, strict=True):
                _labels(ax, chart)
                _key(key_ax, chart)
            figure.savefig(path, dpi=DPI, metadata=metadata)
        finally:
            pyplot.close(figure)


def draw(ax: Any, chart: Chart) -> None:
    """One hardware's roofline on ``ax``: slopes per memory level, a flat roof per dtype,
    points per outcome, and a legend of exactly these beside it."""
    (x_lo, x_hi), (y_lo, y_hi) = chart.x_range, chart.y_range
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    for slope in chart.slopes:
        xs, ys = zip(*slope_path(slope, chart), strict=True)
        ax.plot(
            xs,
            ys,
            color=slope_colour(slope),
            linestyle="--" if slope.cache else "-",
            linewidth=1.2,
            label=slope_text(slope),
        )
    for i, roof in enumerate(chart.roofs):
        xs, ys = zip(*roof_path(roof, chart), strict=True)
        colour = roof_colour(i)
        ax.plot(xs, ys, color=colour, linewidth=2, label=roof_text(roof))
        ax.plot([roof.ridge], [roof.peak], "o", color=colour, markerfacecolor="white")
    # One scatter per outcome, in the order every legend lists them.
    for style in OUTCOMES:
        mine = [p for p in chart.points if outcome_style(p.outcome) is style]
        if mine:
            ax.scatter(
                [p.intensity for p in mine],
                [p.achieved for p in mine],
                s=DOT_AREA,
                color=style.colour,
                edgecolors="white",
                zorder=5,
                label=style.name,
            )
    ax.set_title(f"roofline of {chart.hardware}")
    ax.set_xlabel("operational intensity (FLOP/byte)")
    ax.set_ylabel("performance (FLOP/s)")
    ax.grid(True, which="major", color="#e0e0e0")
    ax.legend(fontsize=FONT, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def key_lines(chart: Chart, columns: int) -> list[str]:
    """Each number's test, and each result left off the chart with why (on a line of its
    own), in row order; a line at most ``columns`` characters, a node id cut in its
    middle to fit (:func:`.format.cut_nodeid`)."""
    # The status as every report says it ("passed (busy machine)"), in a column as wide
    # as the longest, then the utilization.
    wide = max([len("not plotted"), *(len(p.outcome) for p in chart.points)])
    rows = [
        (p.number, f"{p.outcome:<{wide}}  {percent(p.utilization):>6}", p.nodeid, "")
        for p in chart.points
    ]
    rows += [
        (u.number, f"{'not plotted':<{wide + 8}}", u.nodeid, u.reason) for u in chart.unplotted
    ]
    lines = []
    for number, said, nodeid, reason in sorted(rows):
        start = f"{number:>3}  {said}  "
        lines.append(start + cut_nodeid(nodeid, max(columns - len(start), 12)))
        if reason:
            lines.append(" " * len(start) + reason)
    if len(lines) > KEY_LINES:
        shown = lines[:KEY_LINES]
        rest = len(rows) - sum(1 for line in shown if line[:3].strip())
        return [*shown, f"     ... and {rest:,} more (the HTML report lists them)"]
    return lines


def _key(ax: Any, chart: Chart) -> None:
    """The key of ``chart`` in ``ax``, its lines as long as the axes are wide."""
    columns = int(ax.get_window_extent().width / (MONO_EM * FONT * DPI / 72))
    text = ax.text(
        0.0,
        1.0,
        "\n".join(key_lines(chart, columns)),
        transform=ax.transAxes,
        va="top",
        ha="left",
        family="monospace",
        fontsize=FONT,
        linespacing=1.15,
    )
    text.set_in_layout(False)


def _labels(ax: Any, chart: Chart) -> None:
    """Ridge labels and point numbers where :func:`lay_out` puts them in ``ax``'s
    pixels (the roofs and slopes are named in the legend)."""
    figure = ax.get_figure()
    height = figure.bbox.height
    box = ax.get_window_extent()
    frame = Frame(box.x0, height - box.y1, box.width, box.height, chart.x_range, chart.y_range)
    pixels = DPI / 72
    radius = math.sqrt(DOT_AREA) / 2 * pixels
    labels = lay_out(
        chart,
        frame,
        size=FONT * pixels,
        number_size=FONT * pixels,
        point_radius=radius,
        kinds=("ridge", "point"),
    )
    to_data = ax.transData.inverted()
    for label in labels:
        _label(ax, label, height, to_data)


def _label(ax: Any, label: Label, height: float, to_data: Any) -> None:
    def data(x: float, y: float) -> tuple[float, float]:
        found = to_data.transform((x, height - y))
        return float(found[0]), float(found[1])

    if label.leader is not None:
        x1, y1, x2, y2 = label.leader
        (a, b), (c, d) = data(x1, y1), data(x2, y2)
        line = ax.plot([a, c], [b, d], color="#9e9e9e", linewidth=0.6, zorder=6)[0]
        line.set_in_layout(False)
    x, y = data(label.x, label.y)
    text = ax.text(
        x,
        y,
        label.text,
        ha={"start": "left", "middle": "center", "end": "right"}[label.anchor],
        va="baseline",
        rotation=-label.angle,
        rotation_mode="anchor",
        fontsize=FONT,
        color=label.colour,
        zorder=7,
    )
    text.set_in_layout(False)
