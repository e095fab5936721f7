"""The roofline marker's arguments and the utilization budget, checked before a test runs."""

from __future__ import annotations

import pytest

from pytest_roofline import Hardware, kernels
from pytest_roofline.errors import (
    DeclarationError,
    UnknownNameError,
)
from pytest_roofline.machine import calibration as calibrate
from pytest_roofline.plugin.marker import (
    MarkerSpec,
    parse_marker,
)
from pytest_roofline.specs.hardware import default_catalog

GEMM = kernels.matmul(256, 256, 256, "fp32")
SOURCE = "@pytest.mark.roofline"


def parse(*args: object, **kwargs: object) -> MarkerSpec:
    return parse_marker(args, kwargs, default_catalog())


def test_kernel_positional() -> None:
    spec = parse(GEMM, hardware="h100-sxm", min_utilization=0.4)
    assert spec == MarkerSpec(kernel=GEMM, hardware="h100-sxm", min_utilization=0.4)


def test_kernel_by_keyword() -> None:
    assert parse(kernel=GEMM).kernel == GEMM


def test_no_kernel_is_allowed() -> None:
    # The test may declare its work through the fixture (parametrized shapes).
    assert parse(min_utilization=0.5) == MarkerSpec(min_utilization=0.5)


def test_kernel_both_positional_and_keyword() -> None:
    with pytest.raises(DeclarationError, match="both positionally and as kernel="):
        parse(GEMM, kernel=GEMM)


def test_two_positionals() -> None:
    with pytest.raises(DeclarationError, match="one positional argument") as caught:
        parse(GEMM, "h100-sxm")
    assert str(caught.value).startswith(SOURCE)


def test_unknown_keyword_suggests_the_closest() -> None:
    with pytest.raises(DeclarationError) as caught:
        parse(GEMM, min_utilisation=0.4)
    message = str(caught.value)
    assert "'min_utilisation'" in message
    assert "did you mean 'min_utilization'" in message
    assert "\n" not in message


def test_kernel_must_be_a_kernel() -> None:
    with pytest.raises(DeclarationError, match="kernel must be a Kernel") as caught:
        parse({"flops": 1, "bytes": 1})
    assert "dict" in str(caught.value)


def test_unknown_hardware_suggests_names() -> None:
    with pytest.raises(UnknownNameError) as caught:
        parse(GEMM, hardware="h100-sxn")
    assert "h100-sxm" in caught.value.suggestions
    assert "did you mean" in str(caught.value)


def test_hardware_must_be_a_name_or_hardware() -> None:
    with pytest.raises(DeclarationError, match="hardware must be a name or a Hardware"):
        parse(GEMM, hardware=42)


def test_hardware_object_and_alias_are_kept() -> None:
    box = Hardware(name="box", peak_flops={"fp32": 1e12}, memory_bandwidth=1e11)
    assert parse(GEMM, hardware=box).hardware is box
    assert parse(GEMM, hardware="H100").hardware == "H100"


def test_local_is_accepted_without_measuring(monkeypatch: pytest.MonkeyPatch) -> None:
    # DESIGN section 4: a run calibrates 'local' lazily, on the first test that uses it;
    # checking a marker is not using it.
    def refuse() -> Hardware:
        raise AssertionError("local was measured while checking a marker")

    monkeypatch.setattr(calibrate, "measure_local", refuse)
    monkeypatch.setattr(calibrate, "local_hardware", refuse)
    assert parse(GEMM, hardware="local").hardware == "local"
    assert parse(GEMM, hardware="Local").hardware == "Local"


def test_bad_budget_in_marker_names_the_marker() -> None:
    with pytest.raises(DeclarationError, match=r"^@pytest\.mark\.roofline: min_utilization"):
        parse(GEMM, min_utilization=0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.1, 0.1), ("0.25", 0.25), ("10%", 0.10), ("5%", 0.05)],
)
def test_max_drop_reads_the_same_in_the_marker_and_the_settings(value, expected) -> None:
    from pytest_roofline.plugin.settings import resolve

    spec = parse_marker((), {"max_drop": value}, default_catalog())
    assert spec.max_drop == pytest.approx(expected)
    settings = resolve([("[tool.pytest-roofline] {pyproject_key}", {"max_drop": value})],
                       default_catalog())  # fmt: skip
    assert settings.max_drop == pytest.approx(expected)


@pytest.mark.parametrize("value", [0, 1, "150%", "-5%", "lots", True, float("nan"), 10**400])
def test_a_bad_max_drop_is_refused_alike_in_the_marker_and_the_settings(value) -> None:
    from pytest_roofline.errors import ConfigurationError
    from pytest_roofline.plugin.settings import resolve

    with pytest.raises(DeclarationError, match=r"@pytest\.mark\.roofline: max_drop must be"):
        parse_marker((), {"max_drop": value}, default_catalog())
    with pytest.raises(ConfigurationError, match=r"\[tool.pytest-roofline\] max_drop: max_drop"):
        resolve([("[tool.pytest-roofline] {pyproject_key}", {"max_drop": value})],
                default_catalog())  # fmt: skip
