"""How fast the vectorized serving sweep is, against the scalar bound in a loop.

Run: python benchmarks/sweep.py

Both evaluate the same serving model (LLaMA-2-70B on A100 SXM4 80GB) in this process;
the ratio is what matters on a shared, noisy machine, not the absolute times.
"""

from __future__ import annotations

import time

import numpy as np

from pytest_roofline import ServingConfig, bound
from pytest_roofline.physics.sweep import serving_sweep


def best_of(repeats: int, work) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    gpus = np.arange(1, 9, dtype=float)[:, None, None]
    prompt = np.linspace(1, 8192, 125)[None, :, None]
    decode = np.linspace(1, 2048, 100)[None, None, :]
    count = np.broadcast(gpus, prompt, decode).size

    def vectorized() -> None:
        serving_sweep(
            "llama-2-70b", "a100-sxm4-80gb", gpus=gpus, prompt_tokens=prompt, decode_tokens=decode
        )

    sample = [
        (int(g), float(p), float(d))
        for g in (2, 4, 8)
        for p in (128, 1024, 4096)
        for d in (64, 512, 1024)
    ]

    def scalar() -> None:
        for g, p, d in sample:
            bound(
                ServingConfig(
                    model="llama-2-70b",
                    hardware="a100-sxm4-80gb",
                    gpus=g,
                    prompt_tokens=p,
                    decode_tokens=d,
                )
            )

    t_vector = best_of(5, vectorized)
    t_scalar = best_of(5, scalar) / len(sample)
    print(f"{'method':<28}{'configs':>10}{'seconds':>12}{'per config':>14}")
    print(f"{'serving_sweep (numpy)':<28}{count:>10}{t_vector:>12.4f}{t_vector / count:>13.2e}s")
    print(
        f"{'bound(ServingConfig) loop':<28}{len(sample):>10}{t_scalar * len(sample):>12.4f}"
        f"{t_scalar:>13.2e}s"
    )
    print(f"speed-up per configuration: {t_scalar / (t_vector / count):,.0f}x")


if __name__ == "__main__":
    main()
