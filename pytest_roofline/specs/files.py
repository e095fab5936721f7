"""Hardware users declare without code: TOML tables, files, and ``extends``.

A device is described with the catalog's schema, in a file of its own (top-level keys,
like ``specs/data/hardware/h100-sxm.toml``), as several tables in one file, or as tables
under ``[tool.pytest-roofline.hardware]`` in pyproject.toml::

    [tool.pytest-roofline.hardware.a100-cutlass]
    extends = "a100-sxm4-80gb"
    description = "A100 at the 260 TFLOP/s a CUTLASS GEMM reaches (NanoFlow)"
    peak_flops = { fp16 = "260 TFLOP/s", bf16 = "260 TFLOP/s" }

``extends`` names a catalog device (or another entry of the same declarations) whose
figures the entry starts from; the entry's own fields replace them, and ``peak_flops``
replaces dtype by dtype. Errors name the file, the entry and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pytest_roofline.core import reading
from pytest_roofline.core.names import normalize
from pytest_roofline.errors import (
    DeclarationError,
    RooflineError,
    UnknownNameError,
    cut,
)
from pytest_roofline.specs.catalog import Catalog


class Entry(Protocol):
    """What a file declares: a validated entry another may extend."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    def model_dump(self, *, exclude: set[str]) -> dict[str, Any]: ...


E = TypeVar("E", bound=Entry)

Build = Callable[[dict[str, Any], str], E]
"""Validates one entry's fields, errors naming the place (``Hardware.from_data``)."""

INHERITED_EXCLUDE = {"name", "aliases", "description", "sources"}


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's contents; a one-line error for a missing, unreadable or malformed
    file (see :mod:`.reading`)."""
    __tracebackhide__ = True
    return reading.read_toml(path, "hardware")


def entries_of_file(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A file's device entries by name: one top-level device, or one table per device."""
    if "name" in data or "peak_flops" in data or "extends" in data:
        name = str(data.get("name", "")) or "unnamed"
        return {name: dict(data)}
    entries = {}
    for key, value in data.items():
        if not isinstance(value, dict):
            raise DeclarationError(
                f"entry {key!r} must be a table of figures (peak_flops, memory_bandwidth, ...)"
            )
        entries[key] = dict(value)
    return entries


def resolve(
    entries: Mapping[str, Mapping[str, Any]], catalog: Catalog[Any], where: str, build: Build[E]
) -> list[E]:
    """Validate entries (resolving ``extends`` against ``catalog`` and each other)."""
    __tracebackhide__ = True
    by_key = {normalize(k): (k, dict(v)) for k, v in entries.items()}
    done: dict[str, E] = {}

    def entry(key: str, chain: tuple[str, ...]) -> E:
        __tracebackhide__ = True
        if key in done:
            return done[key]
        raw_key, fields = by_key[key]
        place = f"{where} [{raw_key}]"
        fields.setdefault("name", raw_key)
        parent = fields.pop("extends", None)
        if parent is not None:
            if not isinstance(parent, str):
                raise DeclarationError(f"{place}: extends must be a device name, got {cut(parent)}")
            parent_key = normalize(parent)
            if parent_key in chain or parent_key == key:
                loop = " -> ".join([*chain, key, parent_key])
                raise DeclarationError(f"{place}: extends forms a loop: {loop}")
            if parent_key in by_key:
                base = entry(parent_key, (*chain, key))
            elif parent in catalog:
                base = catalog.lookup(parent)
            else:
                known = [*catalog.known_names(), *by_key]
                raise UnknownNameError("hardware", parent, known, where=f"{place} extends")
            inherited = base.model_dump(exclude=INHERITED_EXCLUDE)
            own = fields.pop("peak_flops", {})
            if not isinstance(own, Mapping):
                raise DeclarationError(
                    f"{place}: peak_flops must be a table of dtype = rate, e.g."
                    f' {{ fp16 = "100 TFLOP/s" }}, got {cut(own)}'
                )
            peaks = {**inherited.pop("peak_flops"), **own}
            fields = {**inherited, **fields, "peak_flops": peaks}
            fields.setdefault("description", f"{base.description or base.name} (modified)")
        done[key] = built = build(fields, place)
        return built

    return [entry(key, ()) for key in by_key]


def load(path: Path, catalog: Catalog[Any], build: Build[E]) -> list[E]:
    """The devices a TOML file declares."""
    __tracebackhide__ = True
    try:
        entries = entries_of_file(read_toml(path))
        if not entries:
            raise DeclarationError(
                f"{path}: declares no device; give a table per device, e.g. [my-gpu] with"
                " peak_flops and memory_bandwidth"
            )
    except RooflineError as error:
        message = str(error)
        raise DeclarationError(
            message if message.startswith(str(path)) else f"{path}: {message}"
        ) from None
    return resolve(entries, catalog, str(path), build)


def from_toml(path: str | Path, catalog: Catalog[Any], build: Build[E]) -> E:
    """The one device a TOML file declares (see :meth:`Hardware.from_toml`)."""
    __tracebackhide__ = True
    devices = load(Path(path), catalog, build)
    if len(devices) != 1:
        names = ", ".join(d.name for d in devices)
        raise DeclarationError(f"{path}: holds {len(devices)} devices ({names}); expected one")
    return devices[0]


C = TypeVar("C", bound=Catalog[Any])


def extend_catalog(catalog: C, devices: list[Any], where: str) -> C:
    """A copy of ``catalog`` with ``devices`` added; a clashing name is an error."""
    __tracebackhide__ = True
    extended = catalog.copy()
    for device in devices:
        try:
            extended.add(device)
        except DeclarationError as error:
            raise DeclarationError(f"{where}: {error}") from None
    return extended
