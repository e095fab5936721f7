"""Which machine a JSON report comes from, and the name it goes by among several.

A report's ``machine`` section names the host (DESIGN.md section 5) and, when a test ran
on ``local``, the ceilings measured there. The ceilings change with each calibration
while the machine stays the same, so two reports are of one machine when everything but
the ceilings agrees. A baseline read as a report has its fingerprint there instead
(CPU, cores, caches, numpy and BLAS), which the plugin compares the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pytest_roofline.machine.host import local_ceilings

CEILING_KEYS = frozenset(local_ceilings({}))
"""The keys of the ``machine`` section that hold ``local``'s ceilings, not the host."""


def host(machine: Mapping[str, Any]) -> dict[str, Any]:
    """The ``machine`` section without the ceilings."""
    return {k: v for k, v in machine.items() if k not in CEILING_KEYS}


def identity(document: Mapping[str, Any]) -> str:
    """A key equal for two documents of the same machine."""
    machine = document.get("machine")
    found = host(machine) if isinstance(machine, Mapping) else {}
    return json.dumps(found, sort_keys=True, default=str)


def same_machine(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """True when both documents say they ran on one machine (an empty section says
    nothing, and is no evidence of sameness)."""
    return identity(first) == identity(second) and identity(first) != "{}"


def name_of(document: Mapping[str, Any]) -> str:
    """What a reader calls the machine: its host name, else its CPU (a baseline's
    fingerprint), else an empty string."""
    machine = document.get("machine")
    if not isinstance(machine, Mapping):
        return ""
    for key in ("hostname", "cpu"):
        value = machine.get(key)
        if isinstance(value, str) and value.strip():
            return "-".join(value.split())
    return ""
