"""The JSON report, the source of truth every other report is rendered from.

``{"schema": "pytest-roofline/1", "created": ISO-8601, "machine": {...}, "results": [...]}``
(DESIGN.md section 5). Every number is a plain SI number.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from .. import atomic
from ..machine import local_ceilings, machine_info
from ..results import Result

SCHEMA = "pytest-roofline/1"


def build_document(results: list[Result], local: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report as a JSON-able dict; ``machine`` carries the ``local`` ceilings when a
    test used them (``local``: the full spec, with how and when it was measured)."""
    machine = machine_info()
    # The last result on local holds the best ceilings (a re-calibration only raises them).
    used = next((r.hardware_spec for r in reversed(results) if r.hardware == "local"), None)
    if used is not None:
        spec = dict(used)
        if local is not None:
            spec.setdefault("sources", local.get("sources", {}))
            spec.setdefault("description", local.get("description", ""))
        machine.update(local_ceilings(spec))
    return {
        "schema": SCHEMA,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "results": [r.model_dump(mode="json") for r in results],
    }


def write(path: Path, document: dict[str, Any]) -> None:
    """Write the document atomically (the previous file stays whole on a crash).

    A missing folder is created, as pytest does for ``--junit-xml``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, json.dumps(document, indent=2, allow_nan=False) + "\n")


def read(path: Path) -> dict[str, Any]:
    """Read a report back, checking its schema."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a pytest-roofline report (schema {SCHEMA!r})")
    return data
