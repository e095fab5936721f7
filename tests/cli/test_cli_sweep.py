"""`roofline serving` sweeps: comma lists give a table (or CSV) of every combination,
computed by the vectorized sweep; each row is checked by hand and against the bound of
that one configuration."""

from __future__ import annotations

import csv
import io
import json

import pytest

from pytest_roofline import ServingConfig, bound
from pytest_roofline.cli import main
from pytest_roofline.report.sweep_table import CSV_FIELDS

BASE = ["serving", "--model", "llama-2-70b", "--hardware", "a100-sxm4-80gb"]
LENGTHS = ["--prompt", "1024", "--decode", "512"]

PARAMS = 68_976_648_192  # LLaMA-2-70B counted from its config.json (meta-llama)
KV_PER_TOKEN = 2 * 80 * 8 * 128 * 2  # K and V · layers · kv heads · head dim · fp16 bytes


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*BASE, *args]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def csv_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_gpus_by_batch_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(capsys, "--gpus", "1,2,4,8", "--batch", "1,8,64", *LENGTHS).splitlines()
    assert out[0] == "llama-2-70b on a100-sxm4-80gb, fp16: 12 configurations"
    header = [c.strip() for c in out[1].split("|")[1:-1]]
    assert header[:4] == ["GPUs", "p", "d", "batch"]
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out[3:]]
    assert [(r[0], r[3]) for r in rows] == [
        (g, b if g != "1" else "-") for g in ("1", "2", "4", "8") for b in ("1", "8", "64")
    ]
    # One A100 holds 80 GB; the fp16 weights alone are 2 x 68.98e9 = 138 GB.
    assert {r[9] for r in rows[:3]} == {"does not fit"}
    # 8 GPUs, batch 64: T_compute = 2 · 64 · P / (8 · 312e12) = 3.54 ms; T_memory = (2P
    # + the batch's KV cache, 64 · 512/1536 requests · 1280 tokens · 327,680 B) /
    # (8 · 2.039e12) = 9.01 ms; T_net = 4 · 7 · 8192 · 64 · 2 · 80 / (8 · 300e9) = 979 µs.
    last = rows[-1]
    assert last[4] == "9.01 ms"
    assert last[5] == "3.54 ms"
    assert last[6] == "979 µs"
    assert last[9] == "memory"
    # Optimal: 8 · 312e12 / (2P) = 18,093 tokens/s, 2,262 per GPU.
    assert last[10:12] == ["18,093", "2,262"]


def test_csv_figures_match_a_hand_calculation_and_the_single_bound(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = csv_rows(run(capsys, "--gpus", "2,8", "--batch", "64", *LENGTHS, "--csv"))
    assert list(rows[0]) == list(CSV_FIELDS)
    assert [(r["gpus"], r["batch_size"], r["fits"]) for r in rows] == [
        ("2", "64", "true"),
        ("8", "64", "true"),
    ]
    eight = rows[1]
    kv = 64 * 512 / 1536 * (1024 + 512 / 2) * KV_PER_TOKEN
    assert float(eight["memory_seconds"]) == pytest.approx((2 * PARAMS + kv) / (8 * 2.039e12))
    assert float(eight["compute_seconds"]) == pytest.approx(2 * 64 * PARAMS / (8 * 312e12))
    assert float(eight["network_seconds"]) == pytest.approx(
        4 * 7 * 8192 * 64 * 2 * 80 / (8 * 300e9)
    )
    for row in rows:
        one = bound(
            ServingConfig(
                model="llama-2-70b",
                hardware="a100-sxm4-80gb",
                gpus=int(row["gpus"]),
                prompt_tokens=1024,
                decode_tokens=512,
                batch_size=64,
            )
        )
        assert float(row["seconds"]) == pytest.approx(one.seconds, rel=1e-12)
        assert row["bottleneck"] == one.bottleneck


def test_csv_of_a_configuration_that_does_not_fit_has_empty_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (row,) = csv_rows(run(capsys, "--gpus", "1", *LENGTHS, "--csv"))
    assert row["fits"] == "false"
    assert row["seconds"] == ""
    assert row["bottleneck"] == ""


def test_prompt_and_decode_lists_sweep_too(capsys: pytest.CaptureFixture[str]) -> None:
    rows = csv_rows(
        run(capsys, "--gpus", "8", "--prompt", "512,1024", "--decode", "128,512", "--csv")
    )
    assert [(r["prompt_tokens"], r["decode_tokens"]) for r in rows] == [
        ("512", "128"),
        ("512", "512"),
        ("1024", "128"),
        ("1024", "512"),
    ]


def test_json_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(run(capsys, "--gpus", "1,8", *LENGTHS, "--json"))
    sweep = document["sweep"]
    assert sweep["gpus"] == [1.0, 8.0]
    assert sweep["fits"] == [False, True]
    assert sweep["seconds"][0] is None  # JSON has no NaN
    assert document["dtype"] == "fp16"


@pytest.mark.parametrize(
    ("args", "culprit"),
    [
        (["--gpus", "1,x"], "--gpus: 'x' is not a number"),
        (["--gpus", "0,2"], "--gpus: every value must be >= 1, got 0"),
        (["--gpus", "1.5,2"], "--gpus: GPU counts are whole numbers, got 1.5"),
        (["--gpus", "2,8", "--batch", "8,-1"], "--batch: every value must be > 0, got -1"),
        (["--gpus", "2,8", "--json", "--csv"], "give one of --json and --csv"),
        (["--gpus", "2,inf"], "--gpus: every value must be a finite number, got inf"),
    ],
)
def test_bad_sweeps_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], culprit: str
) -> None:
    assert main([*BASE, *args, *LENGTHS]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert culprit in captured.err
