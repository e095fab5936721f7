"""Scalar-or-array helpers: plain numbers stay plain (no numpy), arrays go to numpy."""

from __future__ import annotations

import numpy as np

from pytest_roofline.core import arrays


def test_plain_numbers_stay_plain_python_numbers() -> None:
    assert arrays.asarray(3) == 3
    assert type(arrays.asarray(3)) is int
    assert arrays.where(True, 2.0, 1.0) == 2.0
    assert arrays.where(False, 2.0, 1.0) == 1.0
    assert arrays.clip(9, 1, 7) == 7
    assert arrays.clip(0, 1, 7) == 1
    assert arrays.any_true(False) is False
    assert type(arrays.scalar_or_array(4)) is float


def test_arrays_and_lists_go_through_numpy() -> None:
    gpus = arrays.asarray([1, 2, 8])
    assert isinstance(gpus, np.ndarray)
    assert arrays.clip(gpus - 1, 1, 7).tolist() == [1, 1, 7]
    assert arrays.where(gpus > 1, 10.0, 1.0).tolist() == [1.0, 10.0, 10.0]
    assert arrays.any_true(gpus > 4) is True
    assert arrays.any_true(gpus > 8) is False
    assert type(arrays.scalar_or_array(np.float64(2.5))) is float
    assert arrays.scalar_or_array(gpus) is gpus
