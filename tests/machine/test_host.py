"""The machine the tests run on (machine/host.py): cache sizes read from /sys, and the
fingerprint measured ceilings are kept under."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import numpy as np
import pytest

from pytest_roofline.machine import host
from pytest_roofline.machine.host import Cache, cpu_caches, fingerprint

KiB = 2**10
MiB = 2**20
GiB = 2**30


def write_cache(
    root: Path, cpu: int, index: int, kind: str, level: int, size: str, shared: str
) -> None:
    """One /sys/devices/system/cpu/cpuN/cache/indexM folder as Linux lays it out."""
    folder = root / f"cpu{cpu}" / "cache" / f"index{index}"
    folder.mkdir(parents=True)
    (folder / "type").write_text(f"{kind}\n")
    (folder / "level").write_text(f"{level}\n")
    (folder / "size").write_text(f"{size}\n")
    (folder / "shared_cpu_list").write_text(f"{shared}\n")


def two_core_tree(root: Path, l2: str = "512K", l3: str = "32M") -> None:
    """Two cores, each with a private L1d, L1i and L2, sharing one L3."""
    for cpu in (0, 1):
        write_cache(root, cpu, 0, "Data", 1, "32K", str(cpu))
        write_cache(root, cpu, 1, "Instruction", 1, "32K", str(cpu))
        write_cache(root, cpu, 2, "Unified", 2, l2, str(cpu))
        write_cache(root, cpu, 3, "Unified", 3, l3, "0-1")
    # Folders next to the cpuN ones that are not CPUs.
    (root / "cpufreq").mkdir()
    (root / "cpuidle").mkdir()


def test_cpu_caches_reads_sizes_and_instances(tmp_path: Path) -> None:
    two_core_tree(tmp_path)
    assert cpu_caches(tmp_path) == [
        Cache(level=1, size=32 * KiB, instances=2),
        Cache(level=2, size=512 * KiB, instances=2),
        Cache(level=3, size=32 * MiB, instances=1),
    ]
    assert [cache.name for cache in cpu_caches(tmp_path)] == ["L1", "L2", "L3"]


def test_cpu_caches_reads_size_suffixes(tmp_path: Path) -> None:
    two_core_tree(tmp_path, l2="1024K", l3="1G")
    sizes = {cache.level: cache.size for cache in cpu_caches(tmp_path)}
    assert sizes == {1: 32 * KiB, 2: 1024 * KiB, 3: GiB}


def test_cpu_caches_ignores_instruction_caches(tmp_path: Path) -> None:
    write_cache(tmp_path, 0, 0, "Instruction", 1, "64K", "0")
    write_cache(tmp_path, 0, 1, "Unified", 2, "2048K", "0")
    assert cpu_caches(tmp_path) == [Cache(level=2, size=2 * MiB, instances=1)]


def test_cpu_caches_of_an_empty_tree_is_empty(tmp_path: Path) -> None:
    assert cpu_caches(tmp_path) == []
    assert cpu_caches(tmp_path / "missing") == []


def test_cpu_caches_skips_unreadable_entries(tmp_path: Path) -> None:
    two_core_tree(tmp_path)
    (tmp_path / "cpu0" / "cache" / "index2" / "size").write_text("unknown\n")
    (tmp_path / "cpu1" / "cache" / "index2" / "level").unlink()
    assert cpu_caches(tmp_path) == [
        Cache(level=1, size=32 * KiB, instances=2),
        Cache(level=3, size=32 * MiB, instances=1),
    ]


def test_fingerprint_names_what_makes_ceilings_valid() -> None:
    found = fingerprint()
    assert {"cpu", "cores", "numpy", "blas"} <= set(found)
    assert found["cores"] == os.cpu_count()
    assert found["numpy"] == np.__version__
    json.dumps(found)  # it is hashed as JSON


def test_fingerprint_key_is_stable_and_short_hex() -> None:
    key = host.fingerprint_key()
    assert key == host.fingerprint_key()
    assert len(key) == 16
    assert set(key) <= set(string.hexdigits.lower())


def test_fingerprint_key_changes_with_the_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    machine = {"cpu": "Some CPU", "cores": 8, "numpy": "2.0.0", "blas": "openblas 0.3"}
    monkeypatch.setattr(host, "fingerprint", lambda: dict(machine))
    before = host.fingerprint_key()
    machine["cores"] = 16
    assert host.fingerprint_key() != before
