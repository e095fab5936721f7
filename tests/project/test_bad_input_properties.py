"""Generated bad input on every surface: the answer is a value or a RooflineError, never
another exception (hypothesis).

Each surface where users or their CI jobs hand the library something takes whatever a
strategy can draw: numbers of every size and kind (0, negatives, denormals, 1e308,
infinities, NaN, 400-digit integers, booleans), strings (empty, long, non-ASCII), nested
JSON, and bytes that are not text. A new surface added here without its checks fails
these properties. The one-line shape of each message is tested in test_bad_inputs.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_roofline import Kernel, ServingConfig, Transformer, bound, kernels
from pytest_roofline.cli import main
from pytest_roofline.core.reading import (
    parse_json,
    parse_toml,
    read_json,
)
from pytest_roofline.errors import RooflineError
from pytest_roofline.measurement.engines import (
    FORMATS,
    parse_engine_result,
    read_engine_result,
)
from pytest_roofline.plugin.marker import parse_marker
from pytest_roofline.plugin.settings import resolve
from pytest_roofline.report import json_report
from pytest_roofline.specs.files import resolve as resolve_hardware
from pytest_roofline.specs.hardware import Hardware, default_catalog
from pytest_roofline.verdict.baseline import load as load_baseline
from pytest_roofline.verdict.recorder import Recorder
from pytest_roofline.verdict.rows import first_non_finite

# Numbers as users and files give them, the awkward ones weighted in.
numbers = st.one_of(
    st.sampled_from([0, -1, 1, 0.5, 5e-324, 1e-310, 1e-300, 1e308, 10**200, 10**400, 2**63]),
    st.sampled_from([math.inf, -math.inf, math.nan, True, False]),
    st.integers(),
    st.floats(),
)
texts = st.one_of(
    st.sampled_from(["", " ", "1.2 ms", "3 TB/x", "nan", "inf", "1e400", "fp7", "x" * 10_000]),
    st.text(max_size=30),
)
scalars = st.one_of(numbers, texts, st.none())
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
anything = st.one_of(json_values, st.builds(object), st.just(b"\xff\xfe"), st.just(Path(".")))

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def value_or_roofline_error(call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call(...)``'s value, or None when it raised a RooflineError (any other exception
    fails the property)."""
    message = ""
    try:
        return call(*args, **kwargs)
    except RooflineError as error:
        message = str(error)
    assert "\n" not in message, message
    assert len(message) < 1200, message
    return None


def json_text(value: Any) -> str:
    """``value`` as JSON text, its non-finite floats and huge integers written as the
    literals a broken writer emits."""
    return json.dumps(value, allow_nan=True, default=str)


@PROPERTY
@given(st.one_of(st.binary(max_size=200), json_values.map(lambda v: json_text(v).encode())))
def test_any_file_read_as_json_is_a_value_or_one_file_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "file.json"
    path.write_bytes(data)
    value = value_or_roofline_error(read_json, path, "report")
    if value is not None:
        assert first_non_finite(value) is None


def test_deep_nesting_and_huge_numbers_are_one_file_error() -> None:
    for text in ("[" * 100_000, '{"a": 1e400}', '{"a": ' + "9" * 400 + "}", "[NaN]", "[1,"):
        with pytest.raises(RooflineError, match=r"^where\.json: "):
            parse_json(text, "where.json")


@PROPERTY
@given(st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=4))
def test_any_toml_table_is_a_value_or_one_file_error(table: dict[str, Any]) -> None:
    lines = []
    for key, value in table.items():
        if isinstance(value, (int, float, str, bool)) and not isinstance(value, bool):
            literal = json.dumps(value) if not isinstance(value, float) else repr(value)
            lines.append(f"{json.dumps(key)} = {literal}")
    value_or_roofline_error(parse_toml, "\n".join(lines), "file.toml")


@PROPERTY
@given(json_values, st.sampled_from([None, *FORMATS]))
def test_any_engine_result_is_read_or_refused(data: Any, shape: str | None) -> None:
    result = value_or_roofline_error(parse_engine_result, data, source="x.json", format=shape)
    if result is not None:
        assert first_non_finite(vars(result) if hasattr(result, "__dict__") else {}) is None


ENGINE_KEYS = ["completed", "duration", "total_input_tokens", "total_output_tokens"]


@PROPERTY
@given(st.fixed_dictionaries({key: numbers for key in ENGINE_KEYS}))
def test_engine_figures_of_any_size_are_read_or_refused(tmp_path: Path, data: Any) -> None:
    path = tmp_path / "run.json"
    path.write_text(json_text(data))
    result = value_or_roofline_error(read_engine_result, path)
    if result is not None:
        assert result.tokens_per_second > 0
        assert math.isfinite(result.tokens_per_second)
        assert result.requests == data["completed"]


TRTLLM_KEYS = {
    "performance": [
        "total_latency_ms",
        "system_total_throughput_tok_s",
        "request_throughput_req_s",
    ],
    "request_info": ["num_requests", "avg_input_length", "avg_output_length"],
    "world_info": ["tp_size", "pp_size", "max_batch_size"],
    "streaming_metrics": ["avg_ttft_ms", "avg_tpot_ms"],
}


@PROPERTY
@given(
    st.fixed_dictionaries(
        {
            section: st.fixed_dictionaries({key: numbers for key in keys})
            for section, keys in TRTLLM_KEYS.items()
        }
    )
)
@example(
    {
        "performance": {"total_latency_ms": 0},
        "request_info": {"num_requests": 10**400},  # once an OverflowError, not one line
    }
)
def test_trtllm_figures_of_any_size_are_read_or_refused(data: Any) -> None:
    result = value_or_roofline_error(parse_engine_result, data, source="report.json")
    if result is not None:
        assert result.format == "trtllm"
        assert result.tokens_per_second is not None
        assert math.isfinite(result.tokens_per_second)
        assert result.tokens_per_second > 0


LMDEPLOY_HEADER = (
    "batch,num_promts,RPS,RPM,FTL(ave)(s),throughput(out tok/s),throughput(total tok/s)"
)
cells = st.one_of(numbers.map(repr), st.sampled_from(["-", "", "nan", "inf", "x", '"1,2"']))


@PROPERTY
@given(st.lists(cells, min_size=0, max_size=9))
@example(["0", "1", "0", "1", "0", "0", "0"])  # a total of 0 tokens/s was once accepted
def test_any_lmdeploy_row_is_read_or_refused(tmp_path: Path, row: list[str]) -> None:
    path = tmp_path / "profile_throughput.csv"
    path.write_text(LMDEPLOY_HEADER + "\r\n" + ",".join(row) + "\r\n")
    result = value_or_roofline_error(read_engine_result, path)
    if result is not None:
        assert result.format == "lmdeploy"
        assert first_non_finite(result.model_dump()) is None
        assert result.tokens_per_second is not None
        assert result.tokens_per_second > 0


@PROPERTY
@given(st.one_of(anything, st.integers(min_value=-10, max_value=10)))
@example("\n")  # a path that is a newline once printed a line break into the error
@example(" spaced.json ")
@example("\x00")  # a NUL byte in a path once escaped as a ValueError
def test_report_engine_result_takes_any_argument(path: Any) -> None:
    value_or_roofline_error(read_engine_result, path)
    value_or_roofline_error(read_engine_result, "x.json", run=path)


@PROPERTY
@given(json_values)
def test_any_report_document_is_read_or_refused(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "r.json"
    path.write_text(json_text(document))
    value_or_roofline_error(json_report.read, path)
    if isinstance(document, dict):
        shaped = {"schema": json_report.SCHEMA, **document}
        path.write_text(json_text(shaped))
        value_or_roofline_error(json_report.read, path)


@PROPERTY
@given(json_values)
def test_any_baseline_document_is_read_or_refused(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "main.json"
    shaped = {"schema": "pytest-roofline-baseline/1", "results": document, "fingerprint": {}}
    for written in (document, shaped):
        path.write_text(json_text(written))
        value_or_roofline_error(load_baseline, path, "main")


@PROPERTY
@given(anything, anything, anything, st.sampled_from(["fp32", "fp7", 3, None]))
def test_kernel_factories_take_any_size(m: Any, n: Any, k: Any, dtype: Any) -> None:
    made = value_or_roofline_error(kernels.matmul, m, n, k, dtype or "fp32")
    if made is not None:
        assert math.isfinite(made.flops)
        assert math.isfinite(made.bytes)


@PROPERTY
@given(anything, anything)
def test_a_kernel_takes_any_figures(flops: Any, moved: Any) -> None:
    made = value_or_roofline_error(Kernel, flops=flops, bytes=moved)
    if made is not None:
        b = value_or_roofline_error(bound, made, "h100-sxm")
        if b is not None:
            assert math.isfinite(b.seconds)
            assert b.seconds > 0


@PROPERTY
@given(anything, anything, anything, anything)
def test_a_serving_config_takes_any_lengths(p: Any, d: Any, gpus: Any, batch: Any) -> None:
    config = value_or_roofline_error(
        ServingConfig,
        model="llama-2-7b",
        hardware="h100-sxm",
        prompt_tokens=p,
        decode_tokens=d,
        gpus=gpus,
        batch_size=batch,
    )
    if config is not None and config.prompt_tokens is not None and config.decode_tokens:
        b = value_or_roofline_error(bound, config)
        if b is not None:
            assert first_non_finite(b.model_dump()) is None or b.intensity == math.inf


@PROPERTY
@given(st.dictionaries(st.sampled_from(["hidden_size", "num_hidden_layers"]), anything))
def test_an_hf_config_takes_any_fields(fields: dict[str, Any]) -> None:
    config = {
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 128,
        "vocab_size": 100,
        **fields,
    }
    value_or_roofline_error(Transformer.from_hf_config, config)


@PROPERTY
@given(
    st.lists(anything, max_size=2),
    st.dictionaries(
        st.sampled_from(["hardware", "min_utilization", "max_drop", "serving", "kernel", "budget"]),
        anything,
    ),
)
def test_the_marker_takes_any_arguments(args: list[Any], kwargs: dict[str, Any]) -> None:
    value_or_roofline_error(parse_marker, tuple(args), kwargs, default_catalog())


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "json",
                "min_utilization",
                "max_time",
                "max_drop",
                "warn_only",
                "hardware",
                "markdown",
                "html",
                "save",
                "calibrate",
            ]
        ),
        scalars,
    )
)
def test_settings_take_any_values(values: dict[str, Any]) -> None:
    value_or_roofline_error(
        resolve, [("[tool.pytest-roofline] {pyproject_key}", values)], default_catalog()
    )


@PROPERTY
@given(
    st.dictionaries(
        st.sampled_from(["peak_flops", "memory_bandwidth", "extends", "memory_capacity", "name"]),
        json_values,
    )
)
def test_a_hardware_table_takes_any_fields(fields: dict[str, Any]) -> None:
    value_or_roofline_error(
        resolve_hardware, {"box": fields}, default_catalog(), "hw.toml", Hardware.from_data
    )


@PROPERTY
@given(
    st.sampled_from(["seconds", "flops_per_second", "bytes_per_second", "seconds_per_token"]),
    anything,
)
def test_report_takes_any_figure_and_the_verdict_stays_finite(name: str, value: Any) -> None:
    recorder = Recorder(
        "t.py::t", catalog=default_catalog(), kernel=kernels.matmul(64, 64, 64), hardware="h100-sxm"
    )
    if value_or_roofline_error(recorder.report, **{name: value}) is not None:
        record = value_or_roofline_error(recorder.record)
        if record is not None:
            assert first_non_finite(record) is None
            json.dumps(record, allow_nan=False)


@PROPERTY
@given(
    st.sampled_from(["summary", "report", "diff", "plot"]),
    st.one_of(st.binary(max_size=100), json_values.map(lambda v: json_text(v).encode())),
)
def test_the_command_answers_any_report_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, data: bytes
) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(data)
    args = {
        "summary": [str(path)],
        "report": [str(path), "--markdown", "-"],
        "diff": [str(path), str(path)],
        "plot": [str(path), "-o", str(tmp_path / "x.svg")],
    }[command]
    status = main([command, *args])
    err = capsys.readouterr().err
    if status != 0:
        assert status == 2
        assert len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err
