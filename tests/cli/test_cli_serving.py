"""The `roofline serving` command: the notes' table for one configuration, and its errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_roofline import cli
from pytest_roofline.physics.serving import ServingBound

BASE = [
    "serving",
    "--model",
    "llama-2-70b",
    "--hardware",
    "a100-sxm4-80gb",
    "--gpus",
    "8",
    "--prompt",
    "1024",
    "--decode",
    "512",
]

# LLaMA-2-70B config.json (meta-llama/Llama-2-70b-hf).
LLAMA_2_70B_CONFIG = {
    "_name_or_path": "meta-llama/Llama-2-70b-hf",
    "model_type": "llama",
    "hidden_size": 8192,
    "intermediate_size": 28672,
    "num_attention_heads": 64,
    "num_hidden_layers": 80,
    "num_key_value_heads": 8,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}

PARAMS = 68_976_648_192
KV_PER_TOKEN = 2 * 80 * 8 * 128 * 2  # K and V · L · kv_heads · head_dim · fp16 bytes
# B_dense by hand: (640e9 - 2·P) / (KV · (p + d/2)) requests, each (p + d)/d tokens per step.
B_DENSE = (640e9 - 2 * PARAMS) / (KV_PER_TOKEN * (1024 + 256)) * 1536 / 512


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main([*BASE, *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def value(out: str, label: str) -> str:
    match = re.search(rf"^\s*{re.escape(label)}\s+(.+)$", out, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{out}"
    return match.group(1)


def test_serving_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert status == 0
    assert err == ""
    assert out.startswith("llama-2-70b on 8 x a100-sxm4-80gb, p=1024, d=512, fp16")
    assert value(out, "B_dense").startswith(f"{B_DENSE:,.0f} tokens")  # 3,591
    # T_memory = GPU_mem / MemBW = 80e9 / 2.039e12 = 39.2 ms.
    assert value(out, "T_memory") == "39.2 ms"
    # T_compute = 2 · B · P / (8 · 312e12).
    assert value(out, "T_compute") == f"{2 * B_DENSE * PARAMS / (8 * 312e12) * 1e3:.3g} ms"
    # T_net = 4 · 7 · 8192 · B · 2 · 80 / (8 · 300e9).
    t_net = 4 * 7 * 8192 * B_DENSE * 2 * 80 / (8 * 300e9)
    assert value(out, "T_net") == f"{t_net * 1e3:.3g} ms"
    # T_net/T_compute = 2(N-1)·D·L·S·Compute/(P·NetBW) with the counted 68.98e9 parameters.
    ratio = 2 * 7 * 8192 * 80 * 2 * 312e12 / (PARAMS * 300e9)
    assert value(out, "T_net/T_compute") == f"{ratio:.3f}"
    assert value(out, "T_mem/T_compute") == f"{(80e9 / 2.039e12) / (t_net / ratio):.3f}"
    assert value(out, "bottleneck") == "compute"
    # Optimal: Compute / (2 · P) = 312e12 / (2 · 68.98e9) = 2,262 tokens/s per GPU.
    assert f"({312e12 / (2 * PARAMS):,.0f} per GPU" in value(out, "optimal")
    assert f"{8 * 312e12 / (2 * PARAMS):,.0f} tokens/s" in value(out, "optimal")
    kv = value(out, "KV cache")
    assert kv.startswith("328 kB per token")  # 327,680 B
    assert "GQA group 8" in kv


def test_nominal_params_give_nanoflow_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    # NanoFlow (arXiv 2408.12757), section 3: T_net/T_compute = 0.273 for "70B" on 8 A100s.
    status, out, _ = run(capsys, "--params", "70e9")
    assert status == 0
    assert value(out, "T_net/T_compute") == "0.273"
    assert value(out, "params").startswith("70.00e9")
    assert "(2,229 per GPU" in value(out, "optimal")  # 312e12 / 140e9


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--json")
    assert status == 0
    document = json.loads(out)
    assert set(ServingBound.model_fields) <= set(document["bound"])
    b = document["bound"]
    assert b["batch_size"] == pytest.approx(B_DENSE, rel=1e-12)
    assert b["bottleneck"] == "compute"
    assert b["kv_bytes_per_token"] == KV_PER_TOKEN
    assert b["gpus"] == 8
    assert b["seconds"] == max(b["compute_seconds"], b["memory_seconds"], b["network_seconds"])
    assert document["config"]["gpus"] == 8
    assert document["config"]["prompt_tokens"] == 1024
    assert document["model"]["hidden_size"] == 8192


def test_batch_and_kv_dtype_options(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--batch", "128", "--kv-dtype", "fp8", "--json")
    assert status == 0
    b = json.loads(out)["bound"]
    assert b["batch_size"] == 128
    assert b["kv_bytes_per_token"] == KV_PER_TOKEN / 2
    # T_compute = 2 · 128 · P / 2.496e15 = 7.07 ms < T_memory = (weights 137.95e9 B + the
    # batch's fp8 KV cache 128 · 512/1536 · 1280 · 163,840 B = 8.95e9 B) / 16.312e12 B/s
    # = 9.01 ms.
    assert b["memory_seconds"] == pytest.approx(9.006e-3, rel=1e-3)
    assert b["bottleneck"] == "memory"


def test_hf_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_2_70B_CONFIG), encoding="utf-8")
    args = [a if a != "llama-2-70b" else str(path) for a in BASE]
    args[args.index("--model")] = "--hf-config"
    status = cli.main([*args, "--json"])
    out = capsys.readouterr().out
    assert status == 0
    b = json.loads(out)["bound"]
    assert b["batch_size"] == pytest.approx(B_DENSE, rel=1e-12)
    assert b["weight_bytes"] == 2 * PARAMS


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    status = cli.main(argv)
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("roofline: ")
    return lines[0]


def test_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a if a != "llama-2-70b" else "llama-2-71b" for a in BASE]
    line = one_error_line(capsys, argv)
    assert "llama-2-71b" in line
    assert "llama-2-70b" in line  # suggested


def test_weights_do_not_fit(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a if a != "8" else "1" for a in BASE]
    line = one_error_line(capsys, argv)
    assert "138" in line
    assert "80 GB" in line


def test_model_and_hf_config_together(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA_2_70B_CONFIG), encoding="utf-8")
    line = one_error_line(capsys, [*BASE, "--hf-config", str(path)])
    assert "--model" in line
    assert "--hf-config" in line


def test_neither_model_nor_hf_config(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a for a in BASE if a not in ("--model", "llama-2-70b")]
    line = one_error_line(capsys, argv)
    assert "--model" in line


def test_missing_hf_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    argv = [a if a != "llama-2-70b" else str(path) for a in BASE]
    argv[argv.index("--model")] = "--hf-config"
    line = one_error_line(capsys, argv)
    assert str(path) in line


def test_unknown_hardware(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a if a != "a100-sxm4-80gb" else "a1000" for a in BASE]
    line = one_error_line(capsys, argv)
    assert "a1000" in line


def test_hf_config_keeps_the_model_name_and_its_dtype(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Meta-Llama-3-8B-Instruct's config.json (meta-llama on Hugging Face) has no
    # _name_or_path and says "torch_dtype": "bfloat16"; run from its folder, as
    # `roofline serving --hf-config config.json`.
    folder = tmp_path / "Meta-Llama-3-8B-Instruct"
    folder.mkdir()
    config = {
        "model_type": "llama",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_hidden_layers": 32,
        "num_key_value_heads": 8,
        "vocab_size": 128256,
        "torch_dtype": "bfloat16",
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    monkeypatch.chdir(folder)
    argv = ["serving", "--hf-config", "config.json", "--hardware", "h100-sxm"]
    assert cli.main([*argv, "--prompt", "1024", "--decode", "256"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "meta-llama-3-8b-instruct on 1 x h100-sxm, p=1024, d=256, bf16"
    assert cli.main([*argv, "--prompt", "1024", "--decode", "256", "--dtype", "fp8"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(", fp8")
