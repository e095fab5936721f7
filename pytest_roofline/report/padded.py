"""A Markdown table with padded columns: readable as it is in a terminal, and rendered
in a pull-request comment when pasted there.

``roofline diff``, ``roofline baselines`` and the serving sweep print their tables this
way, so their columns line up the same and a change to the layout shows in all three.
"""

from __future__ import annotations

from collections.abc import Sequence

Columns = Sequence[tuple[str, str]]
"""Each column's header and its alignment, "left" or "right" (figures)."""


def padded_table(columns: Columns, rows: Sequence[Sequence[str]]) -> list[str]:
    """The table's lines (no trailing newlines, no trailing spaces); cells are used as
    given, so a caller escapes what Markdown would read (``|``)."""
    names = [name for name, _ in columns]
    widths = [max(len(names[i]), *(len(row[i]) for row in rows)) for i in range(len(columns))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if align == "right" else cell.ljust(width)
            for cell, width, (_, align) in zip(cells, widths, columns, strict=True)
        ]
        return ("| " + " | ".join(padded) + " |").rstrip()

    rule = [
        "-" * (width - 1) + ":" if align == "right" else "-" * width
        for width, (_, align) in zip(widths, columns, strict=True)
    ]
    return [line(names), line(rule), *(line(row) for row in rows)]
