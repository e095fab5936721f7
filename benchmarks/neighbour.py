"""A busy neighbour: what another job on a shared CI runner does to the machine.

Run: python benchmarks/neighbour.py [SEED]      (until stopped; SEED defaults to 0)

It alternates, at random, between bursts of load and quiet spells, each lasting a random
0.1 to 2 s. A burst is one of two kinds, chosen at random:

- multi-threaded BLAS: float64 1024x1024 matrix products with every BLAS thread (numpy
  starts as many as there are cores), the load a neighbour's test suite or training
  step puts on the cores;
- memory streaming: one thread per core copying its own 256 MiB arrays over and over
  (numpy releases the GIL while it copies), the load that takes memory bandwidth.

Either kind keeps every core busy while it lasts. The random sequence depends only on
SEED, so two runs with the same seed load the machine the same way.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time

import numpy as np

MIN_SPELL = 0.1
MAX_SPELL = 2.0
STREAM_BYTES = 256 * 2**20


def blas_burst(seconds: float, a: np.ndarray) -> None:
    """Matrix products with every BLAS thread until ``seconds`` have passed."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        a @ a


def stream_burst(seconds: float, pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """One thread per core copying its own arrays until ``seconds`` have passed."""
    end = time.perf_counter() + seconds

    def copy(source: np.ndarray, target: np.ndarray) -> None:
        while time.perf_counter() < end:
            np.copyto(target, source)

    threads = [threading.Thread(target=copy, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    chooser = random.Random(seed)
    cores = os.cpu_count() or 1
    a = np.random.default_rng(seed).standard_normal((1024, 1024))
    count = STREAM_BYTES // 8
    pairs = [(np.ones(count), np.zeros(count)) for _ in range(cores)]
    while True:
        time.sleep(chooser.uniform(MIN_SPELL, MAX_SPELL))
        burst = chooser.uniform(MIN_SPELL, MAX_SPELL)
        if chooser.random() < 0.5:
            blas_burst(burst, a)
        else:
            stream_burst(burst, pairs)


if __name__ == "__main__":
    main()
