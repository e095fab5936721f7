"""Bad input on every surface gets one clear line naming its source, never a traceback.

The matrix is table-driven: adding a case is one line in one of the tables below.

- PER_TEST: a bad marker, fixture call or engine result file concerns one test. All of
  them run in one pytest subprocess next to a good test; each fails (or errors) alone
  with its one line, and the good neighbour passes.
- AT_IMPORT: a bad object built while a module is imported fails that module's
  collection with the library's own one-line message.
- AT_START: bad options, ini keys, pyproject keys and hardware files are usage errors
  when the run starts.
- COMMANDS: the ``roofline`` command given bad reports, names or files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# (id, decorator and body of a test, text its failure line must hold)
PER_TEST: list[tuple[str, str, str]] = [
    ("unknown_hardware", "@R(K, hardware='h1000')\ndef t(roofline): pass", "did you mean 'h100'"),
    ("misspelt_keyword", "@R(K, min_utilisation=0.4)\ndef t(roofline): pass", "'min_utilization'"),
    ("zero_budget", "@R(K, min_utilization=0)\ndef t(roofline): pass", "min_utilization"),
    ("budget_above_one", "@R(K, min_utilization=1.5)\ndef t(roofline): pass", "1.5"),
    ("budget_a_word", "@R(K, min_utilization='high')\ndef t(roofline): pass", "'high'"),
    ("negative_max_drop", "@R(K, max_drop=-0.1)\ndef t(roofline): pass", "max_drop"),
    ("kernel_and_serving", "@R(K, serving=S)\ndef t(roofline): pass", "serving"),
    ("kernel_not_a_kernel", "@R(42)\ndef t(roofline): pass", "must be a Kernel"),
    ("two_positionals", "@R(K, K)\ndef t(roofline): pass", "one"),
    ("serving_not_a_config", "@R(serving=K)\ndef t(roofline): pass", "ServingConfig"),
    ("hardware_not_a_name", "@R(K, hardware=3.5)\ndef t(roofline): pass", "hardware"),
    ("report_nothing", "@R(K)\ndef t(roofline): roofline.report()", "exactly one of"),
    (
        "report_two",
        "@R(K)\ndef t(roofline): roofline.report(seconds=1, flops_per_second=1)",
        "exactly one of",
    ),
    ("report_negative", "@R(K)\ndef t(roofline): roofline.report(seconds=-1)", "got -1"),
    ("report_zero", "@R(K)\ndef t(roofline): roofline.report(seconds=0)", "got 0"),
    ("report_nan", "@R(K)\ndef t(roofline): roofline.report(seconds=float('nan'))", "got nan"),
    ("report_inf", "@R(K)\ndef t(roofline): roofline.report(seconds=float('inf'))", "got inf"),
    ("report_a_string", "@R(K)\ndef t(roofline): roofline.report(seconds='1 yr')", "'1 yr'"),
    (
        "report_tokens_for_a_kernel",
        "@R(K)\ndef t(roofline): roofline.report(tokens_per_second=5)",
        "does not apply",
    ),
    (
        "report_flops_for_a_copy",
        "@R(C)\ndef t(roofline): roofline.report(flops_per_second=5)",
        "does no FLOPs",
    ),
    ("declare_a_string", "@R()\ndef t(roofline): roofline.declare('matmul')", "got str"),
    (
        "declare_unknown_hardware",
        "@R()\ndef t(roofline): roofline.declare(K, hardware='a1000')",
        "did you mean",
    ),
    ("nothing_declared", "@R(min_utilization=0.5)\ndef t(roofline): pass", "declared no work"),
    (
        "measure_before_declare",
        "def t(roofline): roofline.measure(lambda: None)",
        "no work declared",
    ),
    ("marked_but_unmeasured", "@R(K)\ndef t(roofline): pass", "without a measurement"),
    ("serving_lengths_missing", "@R(serving=S)\ndef t(roofline): pass", "prompt_tokens"),
    (
        "engine_file_missing",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('nowhere.json')",
        "nowhere.json: no such engine result file",
    ),
    (
        "engine_file_not_json",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('broken.json')",
        "broken.json: not JSON",
    ),
    (
        "engine_file_other_shape",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('other.json')",
        "other.json: not a format read here (vllm-serving/-throughput, sglang-serving/-offline,",
    ),
    (
        "engine_file_bad_figure",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('negative.json')",
        "negative.json: duration must be a finite number > 0",
    ),
    (
        "engine_file_bad_line",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('runs.jsonl')",
        "runs.jsonl:2: not JSON",
    ),
    (
        "engine_unknown_format",
        "@R(serving=S)\ndef t(roofline):"
        " roofline.report_engine_result('other.json', format='vllm-serve')",
        "did you mean 'vllm-serving'",
    ),
    (
        "engine_run_out_of_range",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('good.jsonl', run=5)",
        "the file holds 1 run",
    ),
    (
        "tpot_missing_for_a_kernel",
        "@R(K, hardware='h100')\ndef t(roofline): roofline.report_engine_result('offline.json')",
        "no mean time per output token",
    ),
    (
        "hf_config_missing_field",
        "def t(): Transformer.from_hf_config('hf_bad.json')",
        "hf_bad.json",
    ),
    (
        "report_a_denormal_time",
        "@R(K, hardware='h100-sxm')\ndef t(roofline): roofline.report(seconds=5e-324)",
        "seconds=5e-324",
    ),
    (
        "report_a_tiny_rate",
        "@R(K, hardware='h100-sxm')\ndef t(roofline): roofline.report(flops_per_second=1e-310)",
        "flops_per_second=1e-310",
    ),
    (
        "serving_a_tiny_decode",
        "@R(serving=ServingConfig(model='llama-2-7b', hardware='h100-sxm', prompt_tokens=100,"
        " decode_tokens=1e-300))\ndef t(roofline): roofline.report(tokens_per_second=1000)",
        "not a finite time",
    ),
    (
        "serving_an_infinite_prompt",
        "def t(): ServingConfig(model='llama-2-7b', hardware='h100-sxm', prompt_tokens=1e999)",
        "prompt_tokens",
    ),
    (
        "engine_file_tiny_duration",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('tiny.json')",
        "tiny.json: duration is 1e-320 s, shorter than any benchmark run",
    ),
    (
        "engine_file_half_a_request",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('half.json')",
        "half.json: completed counts requests, got 0.5",
    ),
    (
        "engine_file_huge_integer",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('huge.json')",
        "huge.json: completed is an integer of 401 digits",
    ),
    (
        "engine_file_nested_deeply",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('deep.json')",
        "deep.json: nested too deeply",
    ),
    (
        "engine_file_binary",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('binary.json')",
        "binary.json: not UTF-8 text",
    ),
    (
        "engine_path_a_number",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result(123)",
        "the path must be a str or a path, got 123",
    ),
    (
        "engine_path_none",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result(None)",
        "got None",
    ),
    (
        "engine_run_a_word",
        "@R(serving=S)\ndef t(roofline): roofline.report_engine_result('good.jsonl', run='last')",
        "run= must be an integer",
    ),
    ("hf_config_binary", "def t(): Transformer.from_hf_config('binary.json')", "binary.json"),
    (
        "hf_config_huge_size",
        "def t(): Transformer.from_hf_config('hf_huge.json')",
        "hidden_size: Input should be less than or equal to",
    ),
    ("matmul_huge", "def t(): kernels.matmul(10**200, 2, 2)", "is too large"),
    ("kernel_huge_flops", "def t(): Kernel(flops=10**400, bytes=1)", "is too large"),
    (
        "hardware_name_huge",
        "@R(K, hardware='h' * 100_000)\ndef t(roofline): pass",
        "(100002 characters)",
    ),
]

PER_TEST_HEADER = """
import pytest
from pytest_roofline import Kernel, ServingConfig, Transformer, kernels

R = pytest.mark.roofline
K = kernels.matmul(256, 256, 256, "fp32")
C = kernels.custom("copy", flops=0, bytes="1 MB")
S = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8)

def test_good_neighbour():
    pass
"""

SERVING_RUN = {
    "completed": 10,
    "duration": 2.0,
    "total_input_tokens": 1000,
    "total_output_tokens": 500,
    "dataset_name": "random",
}
FILES: dict[str, str | bytes] = {
    "broken.json": '{"completed": 10, "duration": ',
    "other.json": '{"hello": 1, "world": 2}',
    "negative.json": json.dumps({**SERVING_RUN, "duration": -2.0}),
    "runs.jsonl": json.dumps(SERVING_RUN) + "\n{oops\n",
    "good.jsonl": json.dumps(SERVING_RUN) + "\n",
    "offline.json": json.dumps(
        {"elapsed_time": 1.0, "num_requests": 1, "total_num_tokens": 10, "tokens_per_second": 10}
    ),
    "hf_bad.json": json.dumps({"num_hidden_layers": 2, "num_attention_heads": 4}),
    "tiny.json": json.dumps({**SERVING_RUN, "duration": 1e-320}),
    "half.json": json.dumps({**SERVING_RUN, "completed": 0.5}),
    "huge.json": json.dumps(SERVING_RUN).replace('"completed": 10', '"completed": 1' + "0" * 400),
    "deep.json": "[" * 100_000,
    "binary.json": b"\x89PNG\r\n\x1a\n\xff\xfe",
    "hf_huge.json": json.dumps(
        {
            "hidden_size": 10**200,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 8,
            "vocab_size": 10,
        }
    ),
}


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def per_test_file() -> str:
    tests = [PER_TEST_HEADER]
    for name, source, _ in PER_TEST:
        source = source.replace("def t(", f"def test_{name}(")
        tests.append(textwrap.dedent(source) + "\n")
    return "\n".join(tests)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_each_bad_test_fails_alone_in_one_line(
    pytester: pytest.Pytester, run, workers: list[str], report_results
) -> None:
    if workers:
        pytest.importorskip("xdist")
    write_files(pytester.path, FILES)
    pytester.makepyfile(test_bad=per_test_file())
    result = run(
        "-rfE", "-vv", *(workers or ["-p", "no:xdist"]), "--roofline-json", "r.json",
        "--roofline-markdown", "r.md", "--junit-xml", "j.xml",
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1, result.stdout.str()[-3000:]
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) == len(PER_TEST)
    output = result.stdout.str()
    assert "INTERNALERROR" not in output
    # Every test that used the marker keeps its row, in the JSON and the Markdown.
    rows = {
        r["nodeid"].rpartition("::test_")[2]: r for r in report_results(pytester.path / "r.json")
    }
    marked = {name for name, source, _ in PER_TEST if "@R(" in source}
    assert marked <= set(rows), sorted(marked - set(rows))
    markdown = (pytester.path / "r.md").read_text()
    assert all(f"test_{name}" in markdown for name in marked)
    assert all(rows[name]["outcome"] != "passed" for name in marked)
    summary = output[output.rindex("short test summary info") :]
    for name, _, expected in PER_TEST:
        lines = [line for line in summary.splitlines() if f"::test_{name} " in line]
        assert len(lines) == 1, f"{name}: {lines}"
        assert expected in lines[0], f"{name}: {lines[0]}"
        assert "Traceback" not in lines[0]


def test_a_fixture_teardown_that_reports_is_named_as_such(
    pytester: pytest.Pytester, run, report_results
) -> None:
    # A session fixture's teardown runs during the last test's teardown: the error must
    # say where the call came from, not blame that test for declaring nothing.
    pytester.makepyfile(
        test_late="""
        import pytest
        from pytest_roofline import kernels

        @pytest.fixture(scope="session")
        def server(roofline):
            yield
            roofline.report(seconds=1)

        @pytest.mark.roofline(kernels.dot(1000), hardware="h100-sxm")
        def test_measured(server, roofline):
            roofline.report(seconds=1e-3)

        def test_last():
            pass
        """
    )
    result = run("-rE", "--roofline-json", "r.json")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["ERROR test_late.py::test_last - *roofline called from a fixture's teardown, after"
         " test_late.py::test_last ended*"]
    )  # fmt: skip
    assert [r["nodeid"] for r in report_results(pytester.path / "r.json")] == [
        "test_late.py::test_measured"
    ]


# (id, module source, text the collection error must hold)
AT_IMPORT: list[tuple[str, str, str]] = [
    ("negative_size", "kernels.matmul(-1, 2, 3)", "m must be a positive integer"),
    ("unknown_dtype", "kernels.matmul(2, 2, 2, dtype='fp7')", "fp7"),
    ("bad_unit", "Kernel(flops='3 TFLOP/x', bytes=1)", "TFLOP/x"),
    ("no_work", "Kernel(flops=0, bytes=0)", "must do some work"),
    ("unknown_model", "ServingConfig(model='llama-9-70b', hardware='h100')", "llama-9-70b"),
    ("zero_gpus", "ServingConfig(model='llama-2-7b', hardware='h100', gpus=0)", "gpus"),
    ("unknown_kernel_field", "Kernel(flop=1, bytes=1)", "did you mean 'flops'"),
    ("bad_decode_batch", "kernels.decode_step('llama-2-7b', 0, 128)", "batch_size"),
    ("unknown_hardware_lookup", "Hardware.named('h1000')", "did you mean"),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in AT_IMPORT], ids=[c[0] for c in AT_IMPORT]
)
def test_a_bad_object_at_import_fails_collection_in_one_line(
    pytester: pytest.Pytester, run, source: str, expected: str
) -> None:
    pytester.makepyfile(
        test_import=f"from pytest_roofline import Hardware, Kernel, ServingConfig, kernels\n"
        f"X = {source}\n\ndef test_x():\n    pass\n",
        test_other="def test_other():\n    pass\n",
    )
    result = run("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
    error_lines = [line for line in result.stdout.lines if line.startswith("E   ")]
    assert any(expected in line for line in error_lines), result.stdout.str()[-2000:]
    assert "pydantic" not in result.stdout.str().lower() or "ValidationError" not in (
        result.stdout.str()
    )


GOOD_DEVICE = '[box]\npeak_flops = { fp16 = "100 TFLOP/s" }\nmemory_bandwidth = "1 TB/s"\n'

# (id, command-line arguments, ini lines, pyproject text, extra files, text of the error)
AT_START: list[tuple[str, list[str], str, str, dict[str, str | bytes], str]] = [
    ("option_unknown_hardware", ["--roofline-hardware", "h1000"], "", "", {}, "did you mean"),
    ("option_budget_above_one", ["--roofline-min-utilization", "2"], "", "", {}, "(0, 1]"),
    ("option_budget_a_word", ["--roofline-min-utilization", "abc"], "", "", {}, "'abc'"),
    ("option_negative_time", ["--roofline-max-time", "-1"], "", "", {}, "max_time must be > 0"),
    ("option_drop_above_one", ["--roofline-max-drop", "1.5"], "", "", {}, "max_drop"),
    (
        "option_missing_hardware_file",
        ["--roofline-hardware-file", "no.toml"],
        "",
        "",
        {},
        "no.toml",
    ),
    ("option_missing_baseline", ["--roofline-compare", "nosuch"], "", "", {}, "nosuch"),
    ("option_save_a_path", ["--roofline-save", "a/b"], "", "", {}, "'a/b' must be letters"),
    (
        "option_misspelt_baseline",
        ["--roofline-compare", "mian"],
        "",
        "",
        {".roofline/main.json": "{}"},
        "did you mean 'main'?",
    ),
    ("ini_zero_budget", [], "roofline_min_utilization = 0", "", {}, "roofline_min_utilization"),
    ("ini_unknown_hardware", [], "roofline_hardware = h1000", "", {}, "did you mean"),
    ("ini_time_a_word", [], "roofline_max_time = soon", "", {}, "roofline_max_time"),
    ("ini_flag_a_word", [], "roofline_warn_only = maybe", "", {}, "roofline_warn_only"),
    ("ini_flag_a_number", [], "roofline_calibrate = 2", "", {}, "roofline_calibrate: expected"),
    (
        "pyproject_unknown_key",
        [],
        "",
        "[tool.pytest-roofline]\nmin_utilisation = 0.5\n",
        {},
        "did you mean 'min_utilization'",
    ),
    (
        "pyproject_unknown_default",
        [],
        "",
        '[tool.pytest-roofline]\ndefault_hardware = "h1000"\n',
        {},
        "[tool.pytest-roofline] default_hardware; did you mean",
    ),
    (
        "pyproject_missing_bandwidth",
        [],
        "",
        '[tool.pytest-roofline.hardware.box]\npeak_flops = { fp16 = "1 TFLOP/s" }\n',
        {},
        "memory_bandwidth",
    ),
    (
        "pyproject_bad_unit",
        [],
        "",
        '[tool.pytest-roofline.hardware.box]\npeak_flops = { fp16 = "1 TFLOP/s" }\n'
        'memory_bandwidth = "3 TB/x"\n',
        {},
        "TB/x",
    ),
    (
        "pyproject_extends_unknown",
        [],
        "",
        '[tool.pytest-roofline.hardware.box]\nextends = "a1000"\n',
        {},
        "a1000",
    ),
    (
        "pyproject_unknown_dtype",
        [],
        "",
        '[tool.pytest-roofline.hardware.box]\npeak_flops = { fp7 = "1 TFLOP/s" }\n'
        'memory_bandwidth = "1 TB/s"\n',
        {},
        "fp7",
    ),
    (
        "pyproject_extends_loop",
        [],
        "",
        '[tool.pytest-roofline.hardware.a]\nextends = "b"\n'
        '[tool.pytest-roofline.hardware.b]\nextends = "a"\n',
        {},
        "loop",
    ),
    (
        "pyproject_model_unknown_field",
        [],
        "",
        "[tool.pytest-roofline.models.tiny]\nhidden_size = 64\nlayers = 2\nheads = 2\n"
        "intermediate_size = 128\nvocab_size = 100\nexperts_count = 2\n",
        {},
        "experts_count",
    ),
    ("pyproject_not_toml", [], "", "[tool.pytest-roofline\nx = ", {}, "pyproject.toml"),
    (
        "hardware_file_not_toml",
        ["--roofline-hardware-file", "hw.toml"],
        "",
        "",
        {"hw.toml": "[box\n"},
        "hw.toml",
    ),
    (
        "hardware_file_negative",
        ["--roofline-hardware-file", "hw.toml"],
        "",
        "",
        {"hw.toml": GOOD_DEVICE.replace('"1 TB/s"', "-5")},
        "memory_bandwidth",
    ),
    (
        "hardware_file_duplicate",
        ["--roofline-hardware-file", "hw.toml", "--roofline-hardware-file", "hw2.toml"],
        "",
        "",
        {"hw.toml": GOOD_DEVICE, "hw2.toml": GOOD_DEVICE},
        "box",
    ),
    (
        "baseline_corrupt",
        ["--roofline-compare", "main"],
        "",
        "",
        {".roofline/main.json": "{not json"},
        "main",
    ),
    (
        "baseline_other_schema",
        ["--roofline-compare", "main"],
        "",
        "",
        {".roofline/main.json": json.dumps({"schema": "pytest-roofline-baseline/99"})},
        "has schema 'pytest-roofline-baseline/99'",
    ),
    (
        "baseline_huge_number",
        ["--roofline-compare", "main"],
        "",
        "",
        {".roofline/main.json": '{"schema": "pytest-roofline-baseline/1", "x": 1' + "0" * 400},
        "baseline 'main': ",
    ),
    (
        "baseline_nested_deeply",
        ["--roofline-compare", "main"],
        "",
        "",
        {".roofline/main.json": "[" * 100_000},
        "nested too deeply",
    ),
    (
        "baseline_binary",
        ["--roofline-compare", "main"],
        "",
        "",
        {".roofline/main.json": b"\x00\xff\xfe"},
        "not UTF-8 text",
    ),
    (
        "baseline_missing_keys",
        ["--roofline-compare", "main"],
        "",
        "",
        {
            ".roofline/main.json": json.dumps(
                {"schema": "pytest-roofline-baseline/1", "results": {"t": {}}, "fingerprint": {}}
            )
        },
        "result 't': utilization_ci must be [low, high], got None; save it again with"
        " --roofline-save main",
    ),
    (
        "outputs_json_and_markdown_one_path",
        ["--roofline-json", "r.json", "--roofline-markdown", "r.json"],
        "",
        "",
        {},
        "--roofline-json and --roofline-markdown both write",
    ),
    (
        "outputs_json_and_saved_baseline",
        ["--roofline-json", ".roofline/main.json", "--roofline-save", "main"],
        "",
        "",
        {},
        "--roofline-json and --roofline-save both write",
    ),
    (
        "outputs_markdown_and_html",
        ["--roofline-markdown", "x", "--roofline-html", "./x"],
        "",
        "",
        {},
        "--roofline-markdown and --roofline-html both write",
    ),
    (
        "outputs_json_and_junit",
        ["--roofline-json", "j.xml", "--junit-xml", "j.xml"],
        "",
        "",
        {},
        "--roofline-json and --junit-xml both write",
    ),
    (
        "outputs_ini_html_and_option_json",
        ["--roofline-json", "r.html"],
        "roofline_html = r.html",
        "",
        {},
        "--roofline-json and ini roofline_html both write",
    ),
    ("option_empty_json", ["--roofline-json", ""], "", "", {}, "--roofline-json: given an empty"),
    (
        "pyproject_hardware_file_a_number",
        [],
        "",
        "[tool.pytest-roofline]\nhardware_file = 5\n",
        {},
        "hardware_file must be a path or a list of paths, got 5",
    ),
    (
        "hardware_file_extends_peaks_a_word",
        ["--roofline-hardware-file", "hw.toml"],
        "",
        "",
        {"hw.toml": '[box]\nextends = "h100-sxm"\npeak_flops = "lots"\n'},
        "peak_flops must be a table",
    ),
    (
        "hardware_file_extends_peaks_a_number",
        ["--roofline-hardware-file", "hw.toml"],
        "",
        "",
        {"hw.toml": '[box]\nextends = "h100-sxm"\npeak_flops = 5\n'},
        "peak_flops must be a table",
    ),
    (
        "hardware_file_empty",
        ["--roofline-hardware-file", "hw.toml"],
        "",
        "",
        {"hw.toml": ""},
        "hw.toml: declares no device",
    ),
    (
        "hardware_file_binary",
        ["--roofline-hardware-file", "hw.toml"],
        "",
        "",
        {"hw.toml": b"\x7fELF\x02\x01\xff"},
        "hw.toml: not UTF-8 text",
    ),
    (
        "hardware_file_huge_number",
        ["--roofline-hardware-file", "hw.toml"],
        "",
        "",
        {"hw.toml": GOOD_DEVICE.replace('"1 TB/s"', "1" + "0" * 400)},
        "memory_bandwidth is an integer too large",
    ),
]


@pytest.mark.parametrize(
    ("args", "ini", "pyproject", "files", "expected"),
    [c[1:] for c in AT_START],
    ids=[c[0] for c in AT_START],
)
def test_bad_configuration_is_one_usage_error(
    pytester: pytest.Pytester,
    run,
    args: list[str],
    ini: str,
    pyproject: str,
    files: dict[str, str | bytes],
    expected: str,
) -> None:
    if pyproject:
        (pytester.path / "pyproject.toml").write_text(pyproject)
    else:
        pytester.makeini("[pytest]\n" + ini)
    write_files(pytester.path, files)
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr.str()
    assert expected in errors[0], errors[0]
    assert "Traceback" not in result.stderr.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


# (id, arguments of the roofline command, files, text of its one-line error)
REPORT = {"schema": "pytest-roofline/1", "created": "x", "machine": {}, "results": []}
COMMANDS: list[tuple[str, list[str], dict[str, str | bytes], str]] = [
    ("report_missing", ["report", "gone.json", "--markdown", "-"], {}, "gone.json"),
    ("report_not_json", ["report", "r.json", "--markdown", "-"], {"r.json": "{oops"}, "r.json"),
    (
        "report_other_schema",
        ["report", "r.json", "--markdown", "-"],
        {"r.json": json.dumps({"schema": "something/9", "results": []})},
        "schema",
    ),
    ("summary_not_json", ["summary", "r.json"], {"r.json": "[1,"}, "r.json"),
    ("diff_missing", ["diff", "a.json", "b.json"], {}, "a.json"),
    (
        "report_overwrites_its_input",
        ["report", "r.json", "--markdown", "r.json"],
        {"r.json": json.dumps(REPORT)},
        "--markdown r.json would overwrite r.json, the report read",
    ),
    (
        "report_markdown_and_html_one_path",
        ["report", "r.json", "--markdown", "x", "--html", "x"],
        {"r.json": json.dumps(REPORT)},
        "--html x would overwrite --markdown x",
    ),
    (
        "summary_without_results",
        ["summary", "r.json"],
        {"r.json": json.dumps({"schema": "pytest-roofline/1"})},
        "r.json: 'results' must be a list of results, got None",
    ),
    (
        "summary_results_null",
        ["summary", "r.json"],
        {"r.json": json.dumps({**REPORT, "results": None})},
        "'results' must be a list",
    ),
    (
        "summary_results_strings",
        ["summary", "r.json"],
        {"r.json": json.dumps({**REPORT, "results": ["a"]})},
        "r.json: result 1 is not an object: 'a'",
    ),
    (
        "summary_result_without_keys",
        ["summary", "r.json"],
        {"r.json": json.dumps({**REPORT, "results": [{"nodeid": "t.py::t"}]})},
        "r.json: result 1 ('t.py::t'): ",
    ),
    (
        "plot_truncated",
        ["plot", "r.json"],
        {"r.json": json.dumps(REPORT)[:-20]},
        "r.json: not JSON",
    ),
    ("summary_nested_deeply", ["summary", "r.json"], {"r.json": "[" * 100_000}, "nested too"),
    (
        "plot_to_a_text_file",
        ["plot", "r.json", "-o", "x.txt"],
        {"r.json": json.dumps(REPORT)},
        "-o x.txt: the chart is written as .png, .svg, .pdf",
    ),
    (
        "plot_over_its_input",
        ["plot", "r.json", "-o", "r.json"],
        {"r.json": json.dumps(REPORT)},
        "-o r.json: the chart is written as",
    ),
    (
        "report_markdown_to_a_folder",
        ["report", "r.json", "--markdown", ""],
        {"r.json": json.dumps(REPORT)},
        "--markdown . is a folder",
    ),
    ("hardware_empty_name", ["hardware", ""], {}, "roofline hardware: the name is empty"),
    (
        "serving_params_a_word",
        [
            "serving",
            "--model",
            "llama-2-7b",
            "--hardware",
            "h100-sxm",
            "--prompt",
            "1",
            "--decode",
            "1",
            "--params",
            "lots",
        ],
        {},
        "--params: cannot read 'lots'",
    ),
    ("summary_binary", ["summary", "r.json"], {"r.json": b"\xff\xd8\xff\xe0"}, "not UTF-8"),
    (
        "report_other_version",
        ["summary", "r.json"],
        {"r.json": json.dumps({**REPORT, "schema": "pytest-roofline/7"})},
        "schema 'pytest-roofline/7'",
    ),
    (
        "serving_an_infinite_prompt",
        [
            "serving",
            "--model",
            "llama-2-7b",
            "--hardware",
            "h100-sxm",
            "--prompt",
            "inf",
            "--decode",
            "1",
        ],
        {},
        "prompt_tokens: Input should be a finite number",
    ),
    (
        "serving_a_tiny_decode",
        [
            "serving",
            "--model",
            "llama-2-7b",
            "--hardware",
            "h100-sxm",
            "--prompt",
            "10",
            "--decode",
            "1e-300",
        ],
        {},
        "not a finite time > 0",
    ),
    (
        "serving_binary_hf_config",
        [
            "serving",
            "--hf-config",
            "c.json",
            "--hardware",
            "h100",
            "--prompt",
            "1",
            "--decode",
            "1",
        ],
        {"c.json": b"\x00\x01\xff"},
        "c.json: not UTF-8 text",
    ),
    ("plot_not_json", ["plot", "r.json"], {"r.json": ""}, "r.json"),
    ("hardware_unknown", ["hardware", "h1000"], {}, "did you mean"),
    (
        "serving_unknown_model",
        ["serving", "--model", "llama-9", "--hardware", "h100", "--prompt", "1", "--decode", "1"],
        {},
        "llama-9",
    ),
    (
        "serving_bad_hf_config",
        [
            "serving",
            "--hf-config",
            "c.json",
            "--hardware",
            "h100",
            "--prompt",
            "1",
            "--decode",
            "1",
        ],
        {"c.json": "{}"},
        "c.json",
    ),
]


@pytest.mark.parametrize(
    ("args", "files", "expected"), [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS]
)
def test_the_command_answers_bad_input_in_one_line(
    tmp_path: Path, args: list[str], files: dict[str, str | bytes], expected: str
) -> None:
    write_files(tmp_path, files)
    done = subprocess.run(
        [sys.executable, "-m", "pytest_roofline", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "Traceback" not in done.stderr


def test_the_matrix_is_large_enough() -> None:
    assert len(PER_TEST) + len(AT_IMPORT) + len(AT_START) + len(COMMANDS) >= 60
