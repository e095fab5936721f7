"""The command reads the project it runs in, as pytest would: pyproject.toml's
``[tool.pytest-roofline]`` devices and models, the hardware files of the ini files and of
pyproject.toml, and ``--hardware-file``; found from the current folder upward."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_roofline.cli import main
from pytest_roofline.specs import catalog

CUTLASS = """
[tool.pytest-roofline.hardware.a100-cutlass]
extends = "a100-sxm4-80gb"
description = "A100 at the 260 TFLOP/s a CUTLASS GEMM reaches (NanoFlow)"
peak_flops = { fp16 = "260 TFLOP/s", bf16 = "260 TFLOP/s" }
"""
DEVICES = """
[my-gpu]
extends = "h100-sxm"
description = "an H100 at 500 TFLOP/s bf16"
peak_flops = { bf16 = "500 TFLOP/s" }
"""
# Ridge points = peak / memory bandwidth: 260e12 / 2.039e12 = 127.5 FLOP/B (A100 80GB SXM
# datasheet bandwidth), 500e12 / 3.35e12 = 149.3 FLOP/B (H100 SXM datasheet bandwidth).
CUTLASS_RIDGE = "127.5 FLOP/B"
MY_GPU_RIDGE = "149.3 FLOP/B"


def ridge(out: str, dtype: str) -> str:
    rows = {line.split()[0]: line for line in out.splitlines() if "ridge" in line}
    return rows[dtype]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder; the command runs in its subfolder ``tests/perf``."""
    (tmp_path / "tests" / "perf").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "tests" / "perf")
    return tmp_path


def test_pyproject_hardware_is_known_from_a_subfolder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(CUTLASS, encoding="utf-8")
    assert main(["hardware", "a100-cutlass"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("a100-cutlass: A100 at the 260 TFLOP/s a CUTLASS GEMM reaches")
    assert CUTLASS_RIDGE in ridge(out, "fp16")
    assert "2.04 TB/s" in out  # inherited from a100-sxm4-80gb
    assert main(["hardware"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert "a100-cutlass" in names
    assert "a100-sxm4-80gb" in names


def test_the_project_catalog_is_stepped_aside_afterwards(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(CUTLASS, encoding="utf-8")
    before = catalog.active("hardware")
    assert main(["hardware", "a100-cutlass"]) == 0
    assert catalog.active("hardware") is before


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\nroofline_hardware_file = hw/devices.toml\n"),
        ("tox.ini", "[pytest]\nroofline_hardware_file = hw/devices.toml\n"),
        ("setup.cfg", "[tool:pytest]\nroofline_hardware_file = hw/devices.toml\n"),
        (
            "pyproject.toml",
            '[tool.pytest.ini_options]\nroofline_hardware_file = ["hw/devices.toml"]\n',
        ),
        ("pyproject.toml", '[tool.pytest-roofline]\nhardware_file = "hw/devices.toml"\n'),
    ],
    ids=["pytest.ini", "tox.ini", "setup.cfg", "ini_options", "hardware_file"],
)
def test_hardware_files_the_configuration_names(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    (project / "hw").mkdir()
    (project / "hw" / "devices.toml").write_text(DEVICES, encoding="utf-8")
    (project / name).write_text(text, encoding="utf-8")
    assert main(["hardware", "my-gpu"]) == 0
    assert MY_GPU_RIDGE in ridge(capsys.readouterr().out, "bf16")


def test_hardware_file_option_replaces_the_configured_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As --roofline-hardware-file: the given files, from the current folder, instead.
    (project / "pytest.ini").write_text("[pytest]\nroofline_hardware_file = absent.toml\n")
    Path("mine.toml").write_text(DEVICES, encoding="utf-8")
    assert main(["hardware", "my-gpu", "--hardware-file", "mine.toml"]) == 0
    assert MY_GPU_RIDGE in ridge(capsys.readouterr().out, "bf16")
    # Without the option, the configured file is read, and its absence is one line.
    assert main(["hardware", "my-gpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "absent.toml" in err


def test_project_models_serve_on_project_hardware(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        CUTLASS
        + """
[tool.pytest-roofline.models.llama-like]
hidden_size = 8192
layers = 80
heads = 64
kv_heads = 8
intermediate_size = 28672
vocab_size = 32000
params = 70e9
""",
        encoding="utf-8",
    )
    argv = ["serving", "--model", "llama-like", "--hardware", "a100-cutlass", "--gpus", "8"]
    assert main([*argv, "--prompt", "1024", "--decode", "512"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("llama-like on 8 x a100-cutlass")
    # NanoFlow's optimal throughput, Compute / (2 P): 8 x 260e12 / (2 x 70e9) = 14,857 tokens/s.
    assert f"{8 * 260e12 / (2 * 70e9):,.0f} tokens/s" in out
    # A sweep resolves the same names.
    argv[-1] = "8,16"
    assert main([*argv, "--prompt", "1024", "--decode", "512", "--csv"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    optimal = [float(row.split(",")[10]) for row in rows]
    assert optimal == pytest.approx([n * 260e12 / (2 * 70e9) for n in (8, 16)])


@pytest.mark.parametrize(
    ("name", "text", "culprit"),
    [
        ("pyproject.toml", "[tool.pytest-roofline.hardware.x\n", "pyproject.toml: not valid TOML"),
        (
            "pyproject.toml",
            '[tool.pytest-roofline.hardware.x]\nextends = "a100-sxm5"\n',
            "a100-sxm5",
        ),
        (
            "tox.ini",
            "[pytest]\nroofline_hardware_file = a\nroofline_hardware_file = b\n",
            "tox.ini",
        ),
    ],
)
def test_bad_configuration_is_one_line(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, culprit: str
) -> None:
    (project / name).write_text(text, encoding="utf-8")
    assert main(["hardware"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert culprit in captured.err
    assert captured.err.startswith("roofline: ")


def test_an_empty_hardware_file_option_is_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["hardware", "--hardware-file", ""]) == 2
    assert "--hardware-file: given an empty value" in capsys.readouterr().err


def test_a_report_command_does_not_read_the_configuration(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A broken configuration stops what needs it, not a command given only files.
    (project / "pyproject.toml").write_text("[broken\n", encoding="utf-8")
    Path("r.json").write_text('{"schema": "pytest-roofline/1", "results": []}')
    assert main(["summary", "r.json"]) == 0
