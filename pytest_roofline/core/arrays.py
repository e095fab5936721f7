"""Scalar-or-array arithmetic for the models that sweeps run on numpy arrays.

The serving model and the interconnect figures work on floats and on numpy arrays alike
(:mod:`.sweep` evaluates whole grids at once). A plain ``int`` or ``float`` goes through
these helpers without numpy, so a run that only judges figures against catalog hardware
never imports it (numpy and the BLAS threads it starts were a large share of a pytest
start-up); anything else goes to numpy.
"""

from __future__ import annotations

from typing import Any


def is_scalar(value: Any) -> bool:
    """True for a plain Python number (bool, int, float), which needs no numpy."""
    return isinstance(value, (int, float))


def asarray(value: Any) -> Any:
    """``value`` itself if it is a plain number, else ``numpy.asarray(value)``."""
    if is_scalar(value):
        return value
    import numpy as np

    return np.asarray(value)


def any_true(condition: Any) -> bool:
    """Whether ``condition`` (a bool or an array of them) holds anywhere."""
    if is_scalar(condition):
        return bool(condition)
    import numpy as np

    return bool(np.any(condition))


def where(condition: Any, if_true: Any, if_false: Any) -> Any:
    """``numpy.where``, or a plain choice when all three are plain numbers."""
    if is_scalar(condition) and is_scalar(if_true) and is_scalar(if_false):
        return if_true if condition else if_false
    import numpy as np

    return np.where(condition, if_true, if_false)


def clip(value: Any, low: float, high: float) -> Any:
    """``numpy.clip``, or ``min(max(value, low), high)`` for a plain number."""
    if is_scalar(value):
        return min(max(value, low), high)
    import numpy as np

    return np.clip(value, low, high)


def scalar_or_array(value: Any) -> Any:
    """A 0-dimensional result as a ``float``; an array as it is."""
    if is_scalar(value):
        return float(value)
    import numpy as np

    return float(value) if np.ndim(value) == 0 else value
