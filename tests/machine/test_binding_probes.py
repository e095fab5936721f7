"""Probing the binding ceiling again (machine/binding_probes.py): a probe is quiet when it
reaches its own best."""

from __future__ import annotations

from pytest_roofline import bound, kernels
from pytest_roofline.machine.binding_probes import PairedCalibration


class ScriptedProbe:
    """A probe whose runs read the rates given, in turn."""

    def __init__(self, *rates: float) -> None:
        self.rates = list(rates)

    def run(self, repeats: int = 2) -> list[float]:
        return [self.rates.pop(0) for _ in range(repeats)]


def test_a_probe_is_quiet_when_it_reaches_its_own_best() -> None:
    # A GEMM probe's best of three reads 100, then 75 (within 70 % of its best), then 60
    # (a neighbour took the cores).
    probe = ScriptedProbe(90, 100, 80, 75, 72, 71, 60, 50, 40)
    paired = PairedCalibration(probes={"fp32": probe})  # type: ignore[dict-item]
    gemm = bound(kernels.matmul(1024, 1024, 1024, "fp32"), "h100-sxm")
    assert paired.rate(gemm) == 100
    assert paired.near_its_best(gemm, None, 100)
    assert paired.rate(gemm) == 75
    assert paired.near_its_best(gemm, None, 75)
    assert paired.rate(gemm) == 60
    assert not paired.near_its_best(gemm, None, 60)
    # A ceiling is the binding figure of the bound: the dtype's peak here.
    assert paired.ceiling(gemm) == gemm.peak_flops_per_second
