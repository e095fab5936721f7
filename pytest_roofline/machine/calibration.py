"""The hardware called ``local``: this machine's ceilings, measured once and shared.

:mod:`.ceilings` measures them. This module keeps them: once per process
(:func:`local_hardware`, the provider of the name ``local``), once per pytest-xdist run
(:class:`SharedCalibration`, under the run's lock, in the run's folder) and between
runs on the same machine (a :class:`CalibrationStore`, keyed by the machine's
fingerprint). It is one of the two modules that hold mutable module state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from pytest_roofline.core import atomic
from pytest_roofline.errors import CalibrationError
from pytest_roofline.machine.ceilings import measure_local
from pytest_roofline.machine.host import (
    fingerprint_key,
    shown_key,
)
from pytest_roofline.machine.locks import RunLock
from pytest_roofline.specs import catalog as catalogs
from pytest_roofline.specs.catalog import LOCAL
from pytest_roofline.specs.hardware import Hardware, MemoryLevel

_process_local: dict[str, Hardware] = {}
"""This process's ``local`` ceilings, once measured (a dict, so refreshes can replace it)."""


def local_hardware() -> Hardware:
    """This machine's ceilings, measured on first use and kept for the process's life."""
    __tracebackhide__ = True
    if LOCAL not in _process_local:
        _process_local[LOCAL] = measure_local()
    return _process_local[LOCAL]


def is_calibrated() -> bool:
    """True once ``local`` has been measured in this process."""
    return LOCAL in _process_local


def merge(old: Hardware, new: Hardware) -> Hardware:
    """The better ceiling of two calibrations, per dtype and for memory.

    Noise only slows a probe down, so the higher of two estimates is the better one.
    """
    peaks = {d: max(old.peak_flops.get(d, 0.0), v) for d, v in new.peak_flops.items()}
    memory = max(old.memory_bandwidth, new.memory_bandwidth)
    before = {level.name: level.bandwidth for level in old.memory_levels}
    levels: list[MemoryLevel] = []
    floor = memory
    # Largest level first, so each is at least as fast as every level above it.
    for level in sorted(new.memory_levels, key=lambda lv: lv.capacity, reverse=True):
        floor = max(floor, level.bandwidth, before.get(level.name, 0.0))
        levels.append(level.model_copy(update={"bandwidth": floor}))
    return new.model_copy(
        update={
            "peak_flops": {**old.peak_flops, **peaks},
            "memory_bandwidth": memory,
            "memory_levels": tuple(reversed(levels)),
            "ceiling_uncertainty": max(old.ceiling_uncertainty, new.ceiling_uncertainty),
            "description": new.description + " (best of repeated calibrations)",
        }
    )


class CalibrationStore(Protocol):
    """Where calibrations persist between runs (the plugin uses pytest's cache)."""

    def get(self, key: str) -> Hardware | None: ...

    def put(self, key: str, hardware: Hardware) -> None: ...


class SharedCalibration:
    """``local`` for every process of one run, measured at most once, under the run's lock.

    Ceilings come from, in order: this process's copy; the run's folder (another worker
    of the same pytest-xdist run measured them); the ``store`` (an earlier run on the same
    machine, by :func:`fingerprint_key`); else a measurement, taken while holding the lock
    so no other process's measurement disturbs it, and left in the folder and the store.
    Without a folder or a store it is this process's :func:`local_hardware`.
    """

    def __init__(
        self,
        folder: Path | None = None,
        lock: RunLock | None = None,
        store: CalibrationStore | None = None,
        preset: Hardware | None = None,
    ) -> None:
        self.folder = folder
        self.lock = lock or RunLock(folder)
        self.store = store
        self._hardware: Hardware | None = preset
        self._failure: CalibrationError | None = None
        self.origin = "given" if preset is not None else ""
        """How this process got its ceilings: "measured", "cached", "shared", "given"."""

    @property
    def _path(self) -> Path | None:
        return None if self.folder is None else self.folder / "local.json"

    @property
    def calibrated(self) -> bool:
        """True once this process holds the ceilings."""
        return self._hardware is not None or (
            self.folder is None and self.store is None and is_calibrated()
        )

    def cached(self) -> Hardware | None:
        """The ceilings if known without measuring (held, or in the store), else None."""
        if self._hardware is None and self.store is not None:
            stored = self.store.get(fingerprint_key())
            if stored is not None:
                self._hardware, self.origin = stored, "cached"
        return self._hardware

    @property
    def held(self) -> Hardware | None:
        """The ceilings this process holds: given, measured, or used by one of its tests."""
        return self._hardware

    def shown(self) -> tuple[Hardware, str] | None:
        """The ceilings to show before any test uses ``local``, and how they were got:
        the held ones, else the last ones measured on this host (see :func:`shown_key`).
        Nothing is held or judged with by asking, and numpy is not imported."""
        if self._hardware is not None:
            return self._hardware, self.origin or "measured"
        stored = self.store.get(shown_key()) if self.store is not None else None
        return None if stored is None else (stored, "cached")

    def shared(self) -> Hardware | None:
        """The ceilings another process of this run left in the folder, if any."""
        return self._from_folder()

    def _from_folder(self) -> Hardware | None:
        path = self._path
        if path is None or not path.is_file():
            return None
        try:
            return Hardware.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            return None  # unreadable (a disk full mid-write elsewhere): measure again

    def _keep(self, hardware: Hardware, origin: str) -> Hardware:
        """Hold ``hardware`` and leave it where other processes and runs find it."""
        self._hardware, self.origin = hardware, origin
        _process_local[LOCAL] = hardware
        path = self._path
        if path is not None:
            atomic.write_text(path, hardware.model_dump_json())
        if self.store is not None and origin == "measured":
            self.store.put(fingerprint_key(), hardware)
            self.store.put(shown_key(), hardware)
        elif (
            self.store is not None
            and origin == "cached"
            and self.store.get(shown_key()) != hardware
        ):
            # Ceilings cached by a version that kept no copy for the header: keep one now,
            # or the header would say "measured on first use" until the next measurement.
            self.store.put(shown_key(), hardware)
        return hardware

    def __call__(self) -> Hardware:
        __tracebackhide__ = True
        if self._hardware is not None:
            return self._hardware
        if self._failure is not None:  # said once per test, measured once per run
            raise CalibrationError(str(self._failure)) from None
        if self.folder is None and self.store is None:
            try:
                return local_hardware()
            except CalibrationError as error:
                self._failure = error
                raise
        with self.lock.held():
            shared = self._from_folder()
            if shared is not None:
                self._hardware, self.origin = shared, "shared"
                return shared
            cached = self.cached()
            if cached is not None:
                return self._keep(cached, "cached")
            try:
                return self._keep(measure_local(), "measured")
            except CalibrationError as error:
                self._failure = error
                raise

    def measure(self) -> Hardware:
        """Measure now, whatever is cached (``--roofline-calibrate``)."""
        with self.lock.held():
            return self._keep(measure_local(), "measured")

    def raise_to(self, fresh: Hardware) -> Hardware:
        """Keep the better of the held ceilings and ``fresh`` (a probe that reached more
        than a ceiling is evidence the ceiling was measured low), for this process, the
        run's other processes and later runs on this machine."""
        with self.lock.held():
            held = self._from_folder() or self._hardware or _process_local.get(LOCAL)
            return self._keep(fresh if held is None else merge(held, fresh), "measured")


def _local(catalog: catalogs.Catalog[Any]) -> Hardware:
    __tracebackhide__ = True
    return local_hardware()


catalogs.register_provider(LOCAL, _local)
