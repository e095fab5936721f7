"""An injected slowdown for benchmarks/noise.py: every measured kernel does its work
``ROOFLINE_SLOWDOWN`` times per call while its test still declares it once.

Loaded with ``-p slowdown_plugin`` (this folder on PYTHONPATH). The tests are unchanged:
``roofline.measure(fn, ...)`` times a function that calls ``fn`` that many times, the way
a regression that repeats work (a lost fusion, a copy per call) would.
"""

from __future__ import annotations

import os
from typing import Any

from pytest_roofline.verdict.recorder import Recorder

FACTOR = int(os.environ.get("ROOFLINE_SLOWDOWN", "1"))
_measure = Recorder.measure


def _slowed_measure(self: Recorder, fn: Any, *args: Any, **kwargs: Any) -> Any:
    def repeated(*call_args: Any, **call_kwargs: Any) -> Any:
        for _ in range(FACTOR - 1):
            fn(*call_args, **call_kwargs)
        return fn(*call_args, **call_kwargs)

    return _measure(self, repeated, *args, **kwargs)


if FACTOR > 1:
    Recorder.measure = _slowed_measure  # type: ignore[method-assign]
