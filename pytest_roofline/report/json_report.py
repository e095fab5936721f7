"""The JSON report, the source of truth every other report is rendered from.

``{"schema": "pytest-roofline/1", "created": ISO-8601, "machine": {...}, "results": [...]}``
(DESIGN.md section 5). Every number is a plain SI number.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from pytest_roofline.core import atomic, reading
from pytest_roofline.core.units import number
from pytest_roofline.errors import (
    FileError,
    cut,
    one_line,
)
from pytest_roofline.machine.host import (
    local_ceilings,
    machine_info,
)
from pytest_roofline.report.format import status_name, worst_first
from pytest_roofline.verdict.record import Result, status_of

SCHEMA = "pytest-roofline/1"

Row = TypeVar("Row", bound=Mapping[str, Any])
"""A result record, as a report holds it (a dict, or a read-only mapping)."""


def build_document(results: list[Result], local: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report as a JSON-able dict; ``machine`` carries the ``local`` ceilings when a
    test used them (``local``: the full spec, with how and when it was measured)."""
    machine = machine_info()
    # The last result on local holds the best ceilings (a re-calibration only raises them).
    used = next(
        (r.hardware_spec for r in reversed(results) if r.hardware == "local" and r.hardware_spec),
        None,
    )
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


def dumps(document: dict[str, Any]) -> str:
    """The document as the report's text; a ``ValueError`` for a figure JSON cannot hold
    (an infinity, a NaN), which a reader would otherwise choke on."""
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def write(path: Path, document: dict[str, Any]) -> None:
    """Write the document atomically (the previous file stays whole on a crash).

    A missing folder is made, as for every report (:mod:`.writers`).
    """
    atomic.make_folder(path)
    atomic.write_text(path, dumps(document))


def read(path: Path, *, whole_results: bool = True) -> dict[str, Any]:
    """Read a report back: a one-line :class:`RooflineError` naming the file when it is
    not one (missing, not JSON, another schema, or results not of the shape written).

    Every result is validated as a :class:`Result`, so the commands that render and plot
    a report never meet a missing key or a figure of the wrong type. With
    ``whole_results=False`` a result needs only its ``nodeid`` (``roofline diff`` reads
    each test's utilization where there is one, and compares reports cut down by hand).
    """
    data = reading.read_json(Path(path), "report")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = (
            f"schema {cut(data.get('schema'))}"
            if isinstance(data, dict) and "schema" in data
            else "no schema"
            if isinstance(data, dict)
            else f"a JSON {type(data).__name__}"
        )
        raise FileError(f"{path}: not a pytest-roofline report ({found}, not {SCHEMA!r})")
    results = data.get("results")
    if not isinstance(results, list):
        raise FileError(f"{path}: 'results' must be a list of results, got {cut(results)}")
    for index, result in enumerate(results):
        if not isinstance(result, dict):
            raise FileError(f"{path}: result {index + 1} is not an object: {cut(result)}")
        if not whole_results:
            if not isinstance(result.get("nodeid"), str):
                raise FileError(f"{path}: result {index + 1} has no 'nodeid' string")
            continue
        try:
            Result.model_validate(result)
        except ValidationError as error:
            nodeid = result.get("nodeid")
            name = f"result {index + 1}" + (f" ({cut(nodeid)})" if isinstance(nodeid, str) else "")
            raise FileError(str(one_line(f"{path}: {name}", error))) from None
    return data


def status(record: Mapping[str, Any]) -> str:
    """The status every report shows for a result record of the document: its outcome,
    or "regressed" (:func:`outcome`), qualified as taken on a busy machine when the
    record is ``noisy``: "passed (busy machine)" (:data:`.format.BUSY`)."""
    return status_name(outcome(record), record.get("noisy") is True)


def outcome(record: Mapping[str, Any]) -> str:
    """The record's outcome, or "regressed" (see
    :func:`~pytest_roofline.verdict.record.status_of`), busy machine or not: what a gate
    decides on, where :func:`status` is what a reader is shown."""
    return status_of(record.get("outcome", "unmeasured"), record.get("regression"))


def row_key(record: Mapping[str, Any]) -> tuple[int, float, str]:
    """Where a record's row goes in every report: worst first (:func:`.format.worst_first`)."""
    utilization = number(record.get("utilization"))
    return worst_first(status(record), utilization, str(record.get("nodeid", "")))


def in_row_order(records: Iterable[Row]) -> list[Row]:
    """The records in the order of every report's rows, and of a chart's point numbers."""
    return sorted(records, key=row_key)


def serving_figures(record: Mapping[str, Any]) -> dict[str, float | None]:
    """GPUs, optimal and measured tokens/s per GPU, and the gap factor optimal / measured,
    read once for the Markdown and HTML tables, which show the same figures.

    Per GPU, because that is how the notes and NanoFlow compare engines run on different
    numbers of GPUs. The optimal figure is the bound's own per-GPU figure where the
    record keeps it, else the total over the GPUs.
    """
    gpus = None
    for table in (record.get("serving"), record.get("workload")):
        found = number(table.get("gpus")) if isinstance(table, Mapping) else None
        if gpus is None and found is not None and found > 0:
            gpus = found
    per_gpu = gpus or 1.0
    serving = record.get("serving")
    optimal = (
        number(serving.get("optimal_tokens_per_second_per_gpu"))
        if isinstance(serving, Mapping)
        else None
    )
    total_optimal = number(record.get("optimal_tokens_per_second"))
    if optimal is None and total_optimal is not None:
        optimal = total_optimal / per_gpu
    total = number(record.get("measured_tokens_per_second"))
    measured = None if total is None else total / per_gpu
    factor = optimal / measured if optimal is not None and measured else None
    return {"gpus": gpus, "optimal": optimal, "measured": measured, "gap": factor}
