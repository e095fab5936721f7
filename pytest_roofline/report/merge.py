"""One gap report from several JSON reports: the jobs of a CI matrix, each on its machine.

Each result keeps its own figures, the ceilings it was judged against included
(``hardware_spec``). The reports render one table and one chart per hardware name, drawn
with that hardware's ceilings, so where two machines ran on one hardware name their
results must not meet under it: ``local`` is a different device on every machine, and
the same test run on two machines is two results. In a merge of several machines, then:

- every result says its machine: ``"machine"``, the machine's name (its host name; when
  two machines share one, the name of the report each came from);
- a result on ``local``, or on a hardware name that more than one machine used, is shown
  under ``NAME@MACHINE`` (``local@ci-gpu-1``), with that machine's ceilings;
- the document's ``machine`` holds what every machine has in common, and ``machines``
  each one's own section by its name.

A test found twice on one machine and hardware keeps its last result, as a rerun does.
Reports of one machine only (the shards of a split run) merge into the same shape the
plugin writes, and a single report is returned as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_roofline.report import machines
from pytest_roofline.report.json_report import SCHEMA
from pytest_roofline.specs.catalog import LOCAL

Source = tuple[str, Mapping[str, Any]]
"""A document and where it was read from (a path, or a baseline's name)."""


def merge(sources: Sequence[Source]) -> dict[str, Any]:
    """The documents of ``sources`` as one (see the module docstring)."""
    if len(sources) == 1:
        return dict(sources[0][1])
    identities = [machines.identity(document) for _, document in sources]
    names = _names(sources, identities)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    used_on: dict[str, set[str]] = {}
    for identity, (_, document) in zip(identities, sources, strict=True):
        for result in document.get("results") or []:
            hardware = str(result.get("hardware", ""))
            rows[(identity, str(result.get("nodeid", "")), hardware)] = dict(result)
            used_on.setdefault(hardware, set()).add(identity)
    several = len(names) > 1
    results = []
    for (identity, _, hardware), result in rows.items():
        if several:
            result["machine"] = names[identity]
            if hardware == LOCAL or len(used_on[hardware]) > 1:
                result["hardware"] = f"{hardware}@{names[identity]}"
        results.append(result)
    created = [str(document.get("created", "")) for _, document in sources]
    return {
        "schema": SCHEMA,
        "created": max(created),
        "machine": _machine(sources, identities, names),
        "results": results,
    }


def _names(sources: Sequence[Source], identities: list[str]) -> dict[str, str]:
    """Each machine's name: its host name; for machines sharing one, the file name of
    their first report (a baseline's name), made unique by a number if need be."""
    first: dict[str, Source] = {}
    for identity, source in zip(identities, sources, strict=True):
        first.setdefault(identity, source)
    wanted = {identity: machines.name_of(source[1]) for identity, source in first.items()}
    taken = [name for name in wanted.values()]
    names: dict[str, str] = {}
    for identity, name in wanted.items():
        if not name or taken.count(name) > 1:
            name = Path(first[identity][0]).stem or "machine"
        while name in names.values():
            name = f"{name}-{len(names) + 1}"
        names[identity] = name
    return names


def _machine(
    sources: Sequence[Source], identities: list[str], names: dict[str, str]
) -> dict[str, Any]:
    """The merged document's ``machine``: one machine's own section (its ceilings from
    the last report that measured them), or, for several, what they share and each
    one's section under ``machines``."""
    sections: dict[str, dict[str, Any]] = {}
    for identity, (_, document) in zip(identities, sources, strict=True):
        section = document.get("machine")
        section = dict(section) if isinstance(section, Mapping) else {}
        held = sections.get(identity)
        if held is None or len(machines.host(section)) < len(section) or held == {}:
            sections[identity] = section
    if len(sections) == 1:
        return next(iter(sections.values()))
    hosts = [machines.host(section) for section in sections.values()]
    shared = {k: v for k, v in hosts[0].items() if all(h.get(k) == v for h in hosts[1:])}
    return {
        **shared,
        "machines": {names[identity]: section for identity, section in sections.items()},
    }
