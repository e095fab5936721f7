"""A test's row: its record as JSON, the row of a test without a verdict, and the check
that a row holds no figure JSON cannot carry.

A record as JSON has the hardware figures dumped once per device.

Hundreds of tests share a handful of devices, and the device's figures make up half of
a record's JSON; dumping them for every test was a large share of a cheap test's cost.
A :class:`Rows` holds the dumps for one run (the plugin's session keeps one).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import pydantic_core

from pytest_roofline.errors import DeclarationError
from pytest_roofline.physics.dispatch import hardware_for
from pytest_roofline.specs.hardware import Hardware
from pytest_roofline.specs.kernels import Kernel
from pytest_roofline.specs.serving import ServingConfig
from pytest_roofline.verdict.record import LATER_FIELDS
from pytest_roofline.verdict.work import kind_of


class Rows:
    """The JSON of one run's records."""

    def __init__(self) -> None:
        self._specs: dict[int, tuple[Hardware, dict[str, Any]]] = {}
        self._spec_texts: dict[int, str] = {}
        """The JSON of each dict :meth:`spec_of` shares, by the dict's id (``_specs``
        keeps the dicts alive, so no other object takes their ids)."""

    def spec_of(self, device: Hardware) -> dict[str, Any]:
        """The figures of ``device`` a result records, dumped once per device (hundreds of
        tests share a handful of devices, and dumping is a large share of a test's cost).

        The dict is shared by every record of the device: read it, do not change it.
        """
        held = self._specs.get(id(device))  # the device is held too, so its id stays its own
        if held is None:
            spec = device.model_dump(mode="json", exclude={"sources", "aliases", "description"})
            held = self._specs[id(device)] = (device, spec)
            self._spec_texts[id(spec)] = pydantic_core.to_json(spec, inf_nan_mode="null").decode()
        return held[1]

    def json(self, record: dict[str, Any]) -> str:
        """``record`` (see :meth:`Recorder.record`) as JSON: a test's user property.

        The hardware figures are the same in every record of a device and make up half of
        its JSON, so the JSON :func:`spec_of` made of them once is spliced in.
        """
        spec = record["hardware_spec"]
        spec_text = self._spec_texts.get(id(spec))
        if spec_text is None:  # figures of a copied record: serialized with the rest
            return pydantic_core.to_json(record, inf_nan_mode="null").decode()
        del record["hardware_spec"]
        try:
            rest = pydantic_core.to_json(record, inf_nan_mode="null").decode()
        finally:
            record["hardware_spec"] = spec
        return f'{rest[:-1]},"hardware_spec":{spec_text}}}'


def unjudged_row(
    nodeid: str,
    message: str,
    work: Kernel | ServingConfig | None,
    chosen: str | Hardware | None,
    default: str | Hardware | None,
) -> dict[str, Any]:
    """The row of a test that gets no verdict, with what is known of its ``work`` and the
    hardware it would have been bounded on (``chosen`` by the test, else ``default``)."""
    if work is None:
        choice: str | Hardware = chosen or default or "local"
        name = choice.name if isinstance(choice, Hardware) else str(choice)
        return error_record(nodeid, message, hardware=name)
    try:
        choice = hardware_for(work, (chosen,), default)
    except DeclarationError:
        choice = "local"
    return error_record(
        nodeid,
        message,
        kind=kind_of(work).name,
        label=work.label,
        workload=work.model_dump(mode="json"),
        hardware=choice.name if isinstance(choice, Hardware) else str(choice),
    )


def error_record(
    nodeid: str,
    message: str,
    *,
    kind: Literal["kernel", "serving"] = "kernel",
    label: str = "",
    workload: dict[str, Any] | None = None,
    hardware: str = "",
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The row of a marked test that has no verdict: its declaration, hardware or figures
    could not be used (an unknown name, an engine file without lengths, a figure that is
    not finite). Outcome ``"unmeasured"``, ``message`` the one line the test failed with,
    and what was known of the work; the figures of a bound nobody could compute are None.

    Every test that used the marker keeps its row, whatever happened to it: a report
    without the rows of the tests that went wrong would read as if they had passed.
    """
    return {
        "nodeid": nodeid,
        "kind": kind,
        "label": label or nodeid.rpartition("::")[2],
        "workload": workload or {},
        "hardware": hardware,
        "hardware_spec": {},
        "bound_seconds": None,
        "compute_seconds": None,
        "memory_seconds": None,
        "network_seconds": None,
        "measured_seconds": None,
        "utilization": None,
        "raw_utilization": None,
        "min_utilization": None,
        "bottleneck": "unknown",
        "intensity": None,
        "ridge_point": None,
        "ceiling_uncertainty": 0.0,
        "outcome": "unmeasured",
        "message": message,
        "statistics": None,
        "utilization_ci": None,
        "median_utilization": None,
        "verdict_figure": "none",
        "best_utilization": None,
        "noisy": False,
        "notes": list(notes or []),
        **LATER_FIELDS,
    }


MADE_FINITE = frozenset({"workload", "hardware_spec", "notes", "message"})
"""Record keys already finite where they were made: the declared work and the hardware
figures are validated specs (no infinity or NaN), and the notes are text."""


def first_non_finite_figure(record: Mapping[str, Any]) -> str | None:
    """:func:`first_non_finite` for a verdict's record, skipping what was checked where
    it was made: run for every test, so it reads only the figures the verdict computed."""
    for key, value in record.items():
        if type(value) is float:
            if not math.isfinite(value):
                return key
        elif isinstance(value, (dict, list, tuple)) and key not in MADE_FINITE:
            found = first_non_finite(value, key)
            if found is not None:
                return found
    return None


def first_non_finite(value: Any, key: str = "") -> str | None:
    """The key (``"statistics.median"``) of the first number in a record that is not
    finite, or None: JSON has no infinity, and one would cost the run its report."""
    if isinstance(value, float):
        return None if math.isfinite(value) else key or "value"
    if isinstance(value, Mapping):
        for name, inner in value.items():
            found = first_non_finite(inner, f"{key}.{name}" if key else str(name))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            found = first_non_finite(inner, f"{key}[{index}]")
            if found is not None:
                return found
    return None


def check_finite(verdict: dict[str, Any], label: str, reported: str) -> None:
    """Every figure of the verdict is a finite number, or this test's one-line error:
    an infinite one would cost every test of the run its report (JSON has none)."""
    __tracebackhide__ = True
    key = first_non_finite_figure(verdict)
    if key is not None:
        source = reported or "the work declared and the time measured"
        raise DeclarationError(
            f"{label}: its {key} comes out as a number that is not finite, from {source};"
            " check the sizes and figures given"
        )
