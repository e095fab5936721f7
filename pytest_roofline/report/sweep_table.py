"""A serving sweep as text: a table for people, CSV for a spreadsheet or a plot.

The figures are those of :func:`pytest_roofline.physics.sweep.serving_sweep`, one row
per configuration, read from :meth:`ServingSweep.as_dict` (plain lists, so this module
needs no numpy). The table speaks the notes' terms (T_memory, T_compute, T_net) in the
units of the single-configuration table, and ``batch`` is the tokens per iteration: the
``--batch`` given, or B_dense, the largest that memory holds; the CSV keeps the sweep's own
field names and plain SI numbers, an empty cell where a configuration does not fit.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_roofline.report.format import figure, seconds
from pytest_roofline.report.padded import padded_table

CSV_FIELDS = (
    "gpus",
    "prompt_tokens",
    "decode_tokens",
    "batch_size",
    "fits",
    "memory_seconds",
    "compute_seconds",
    "network_seconds",
    "seconds",
    "bottleneck",
    "optimal_tokens_per_second",
    "attainable_tokens_per_second",
    "network_to_compute",
    "memory_to_compute",
)
"""The CSV's columns: the sweep's fields, in the order of the table."""
COLUMNS = (
    ("GPUs", "right"),
    ("p", "right"),
    ("d", "right"),
    ("batch", "right"),
    ("T_memory", "right"),
    ("T_compute", "right"),
    ("T_net", "right"),
    ("T_net/T_compute", "right"),
    ("T_mem/T_compute", "right"),
    ("bottleneck", "left"),
    ("optimal tokens/s", "right"),
    ("per GPU", "right"),
    ("attainable tokens/s", "right"),
)
NO_FIT = "does not fit"


def _known(value: Any) -> float | None:
    """A figure, or None for the NaN of a configuration that does not fit."""
    if value is None or isinstance(value, str):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _ratio(value: Any) -> str:
    """A ratio of two times to three decimals, as the single-configuration table shows."""
    known = _known(value)
    return "-" if known is None else f"{known:.3f}"


def rows(sweep: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """One dict per configuration, with the keys of :data:`CSV_FIELDS`."""
    count = len(sweep["gpus"])
    return [{field: sweep[field][i] for field in CSV_FIELDS} for i in range(count)]


def table_lines(sweep: Mapping[str, Sequence[Any]]) -> list[str]:
    """The sweep as a padded Markdown table, a row per configuration in the given order."""
    cells = []
    for row in rows(sweep):
        gpus = _known(row["gpus"]) or 0.0
        optimal = _known(row["optimal_tokens_per_second"])
        cells.append(
            [
                f"{gpus:g}",
                f"{float(row['prompt_tokens']):g}",
                f"{float(row['decode_tokens']):g}",
                figure(_known(row["batch_size"])),
                seconds(_known(row["memory_seconds"])),
                seconds(_known(row["compute_seconds"])),
                seconds(_known(row["network_seconds"])),
                _ratio(row["network_to_compute"]),
                _ratio(row["memory_to_compute"]),
                str(row["bottleneck"]) if row["fits"] else NO_FIT,
                figure(optimal),
                figure(None if optimal is None or not gpus else optimal / gpus),
                figure(_known(row["attainable_tokens_per_second"])),
            ]
        )
    return padded_table(COLUMNS, cells)


def csv_text(sweep: Mapping[str, Sequence[Any]]) -> str:
    """The sweep as CSV with a header line: SI numbers written in full (``repr``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows(sweep):
        writer.writerow([_cell(row[field]) for field in CSV_FIELDS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    number = _known(value)
    if number is None:
        return ""
    return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
