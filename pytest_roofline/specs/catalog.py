"""Catalogs: the devices and models users name, and which catalog a name resolves in.

One generic :class:`Catalog` holds entries by name and alias; :class:`~.hardware.Catalog`
(devices) and :class:`~.transformer.ModelCatalog` (models) only say what they hold. Two
hardware names are not in any file: ``local`` (this machine, measured) and ``auto``
(the device detected). The machine layer measures and detects, above this one, so it
registers how (:func:`register_provider`) rather than being imported from here.

This module and :mod:`pytest_roofline.machine.calibration` are the only ones holding
mutable module state: the active catalogs (a pytest run activates its own, with the
hardware and models its configuration declares) and the registered providers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from pytest_roofline.core.names import normalize
from pytest_roofline.errors import DeclarationError, UnknownNameError, cut

LOCAL = "local"
AUTO = "auto"


class Named(Protocol):
    """What a catalog holds: a canonical name and its aliases."""

    @property
    def name(self) -> str: ...

    @property
    def aliases(self) -> tuple[str, ...]: ...


T = TypeVar("T", bound=Named)
C = TypeVar("C", bound="Catalog[Any]")

Provider = Callable[["Catalog[Any]"], Any]
"""Resolves a special name (``local``, ``auto``) against the catalog asking."""

_providers: dict[str, Provider] = {}
_active: dict[str, list[Catalog[Any]]] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Say how a special name resolves (the machine layer: ``local`` and ``auto``)."""
    _providers[name] = provider


class Catalog(Generic[T]):
    """Entries by name and alias, names compared in :func:`normalize`'s form.

    Subclasses set ``kind`` (the word errors use), ``item`` (the entry type, which a
    lookup passes through) and ``special`` (names resolved by providers, not entries).
    """

    kind: ClassVar[str] = "entry"
    item: ClassVar[type[Any]] = object
    special: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, entries: Iterable[T] = (), own: dict[str, Callable[[], T] | None] | None = None
    ) -> None:
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._own: dict[str, Callable[[], T] | None] = dict(own or {})
        for entry in entries:
            self.add(entry)

    def add(self, entry: T, *, replace: bool = False) -> None:
        """Add an entry; its name and aliases must not clash unless ``replace``."""
        keys = [normalize(entry.name), *(normalize(a) for a in entry.aliases)]
        if not replace:
            for key in keys:
                if key in self._entries or key in self._aliases or key in self.special:
                    raise DeclarationError(f"{self.kind} name {key!r} is already in the catalog")
        self._entries[keys[0]] = entry
        for alias in keys[1:]:
            self._aliases[alias] = keys[0]

    def copy(self: C) -> C:
        """An independent catalog with the same entries (to add a run's own)."""
        twin = copy.copy(self)
        twin._entries, twin._aliases = dict(self._entries), dict(self._aliases)
        twin._own = dict(self._own)
        return twin

    def known_names(self) -> list[str]:
        """Every name a lookup accepts: the special names, canonical names and aliases."""
        return [*self.special, *self._entries, *self._aliases]

    def names(self) -> list[str]:
        """Canonical names, sorted."""
        return sorted(self._entries)

    def __iter__(self) -> Iterator[T]:
        return iter(self._entries[name] for name in self.names())

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = normalize(name)
        return key in self.special or key in self._entries or key in self._aliases

    def lookup(self, name: str | T) -> T:
        """Resolve a name or alias; a special name goes to its provider."""
        __tracebackhide__ = True
        if isinstance(name, self.item):
            return cast(T, name)
        if not isinstance(name, str):
            raise DeclarationError(
                f"{self.kind} must be a name or a {self.item.__name__}, got {cut(name)}"
            )
        key = normalize(name)
        if key in self.special:
            return self._provide(key)
        canonical = self._aliases.get(key, key)
        if canonical in self._entries:
            return self._entries[canonical]
        raise UnknownNameError(self.kind, name, self.known_names())

    def _provide(self, key: str) -> T:
        __tracebackhide__ = True
        own = self._own.get(key)
        if own is not None:
            return own()
        provider = _providers.get(key)
        if provider is None:
            home = {LOCAL: "calibration", AUTO: "detect"}.get(key, "calibration")
            raise DeclarationError(
                f"{self.kind} {key!r} is resolved by pytest_roofline.machine.{home}, which"
                " is not loaded yet; take the public names (from pytest_roofline import"
                " Hardware, bound), which load it, or import it first"
            )
        found: T = provider(self)
        return found


def activate(catalog: Catalog[Any]) -> None:
    """Make ``catalog`` the one its kind's names resolve in, until :func:`deactivate`."""
    _active.setdefault(catalog.kind, []).append(catalog)


def deactivate(catalog: Catalog[Any]) -> None:
    """Undo :func:`activate`."""
    stack = _active.get(catalog.kind, [])
    if catalog in stack:
        stack.remove(catalog)


def active(kind: str) -> Catalog[Any] | None:
    """The catalog a run activated for ``kind``, if any (else the built-in one applies)."""
    stack = _active.get(kind)
    return stack[-1] if stack else None
