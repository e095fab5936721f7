"""The ``roofline`` fixture's value: one object that speaks for the running test.

pytest sets up and tears down a function-scoped fixture for every test that asks for it,
which cost a cheap roofline test (one that reports a precomputed figure) more than all of
the roofline work it did. The plugin therefore provides the fixture once per session, as
this object, and every attribute read, call or assignment on it goes to the
:class:`~pytest_roofline.verdict.recorder.Recorder` of the test running at that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_roofline.errors import (
    DeclarationError,
    RooflineError,
)
from pytest_roofline.verdict.recorder import Recorder


class CurrentRecorder:
    """Forwards reads and calls to ``lookup()``, the running test's Recorder.

    Assignments are refused: the Recorder's state changes only through its methods,
    which check what they are given (``measurement = "x"`` once crashed the run).

    ``lookup`` raises a one-line error when no test is running (a session-scoped fixture
    or a thread left behind by a finished test using it).
    """

    __slots__ = ("_lookup",)

    def __init__(self, lookup: Callable[[], Recorder]) -> None:
        object.__setattr__(self, "_lookup", lookup)

    def __getattr__(self, name: str) -> Any:
        __tracebackhide__ = True
        return getattr(self._lookup(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        __tracebackhide__ = True
        raise DeclarationError(
            f"roofline.{name} cannot be set: declare work with roofline.declare(...), a"
            " budget with the marker's min_utilization=, figures with measure() or report()"
        )

    def __dir__(self) -> list[str]:
        return sorted(name for name in dir(Recorder) if not name.startswith("_"))

    def __repr__(self) -> str:
        try:
            return repr(self._lookup())
        except RooflineError:  # repr must not raise, e.g. in a traceback's locals
            return "<roofline: no test running>"
