"""``roofline serving``: the serving bound of one configuration, or of a sweep of them.

One value per option gives the notes' table for that configuration. A comma list in any
of ``--gpus``, ``--prompt``, ``--decode`` and ``--batch`` sweeps every combination, in
the order given, with the vectorized sweep of :mod:`pytest_roofline.physics.sweep`, and
prints one row per configuration (``--csv``: as CSV).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import math
from typing import TYPE_CHECKING, Any

from pytest_roofline.core.units import BYTES, FLOP_COUNT, format_quantity, parse
from pytest_roofline.errors import RooflineError, cut
from pytest_roofline.physics.dispatch import bound
from pytest_roofline.physics.serving import ServingConfig
from pytest_roofline.report import sweep_table
from pytest_roofline.report.format import figure, seconds, tokens_per_second
from pytest_roofline.specs.transformer import Transformer

if TYPE_CHECKING:
    from pytest_roofline.physics.sweep import ServingSweep

SWEPT = (("gpus", "--gpus"), ("prompt", "--prompt"), ("decode", "--decode"), ("batch", "--batch"))
"""The options a comma list sweeps, by their argparse names."""


def _numbers(option: str, text: str) -> list[float]:
    """The values of one option: a number, or a comma list of them (one value is
    checked by the configuration it makes, as every other; see :func:`_check`)."""
    values = []
    for part in text.split(","):
        try:
            value = float(part.strip())
        except ValueError:
            raise RooflineError(f"{option}: {cut(part.strip())} is not a number") from None
        values.append(value)
    return values


def _check(
    option: str, values: list[float], minimum: float, *, allow_equal: bool, whole: bool = False
) -> None:
    """A one-line error for the first swept value out of range, named by its option."""
    for value in values:
        if not math.isfinite(value):
            raise RooflineError(f"{option}: every value must be a finite number, got {value:g}")
        if value < minimum or (value == minimum and not allow_equal):
            relation = ">=" if allow_equal else ">"
            raise RooflineError(
                f"{option}: every value must be {relation} {minimum:g}, got {value:g}"
            )
        if whole and not value.is_integer():
            raise RooflineError(f"{option}: GPU counts are whole numbers, got {value:g}")


def _model(args: argparse.Namespace) -> Transformer:
    if (args.model is None) == (args.hf_config is None):
        raise RooflineError("give exactly one of --model NAME and --hf-config PATH")
    model = (
        Transformer.from_hf_config(args.hf_config)
        if args.hf_config
        else Transformer.named(args.model)
    )
    if args.params is not None:
        try:
            params = parse(args.params, FLOP_COUNT)
        except RooflineError as error:
            raise RooflineError(f"--params: {error}") from None
        model = Transformer(**{**model.model_dump(), "params": params})
    return model


def serving(args: argparse.Namespace) -> list[str]:
    """The lines ``roofline serving`` prints."""
    if args.json and args.csv:
        raise RooflineError("give one of --json and --csv, not both")
    values = {
        name: _numbers(option, getattr(args, name))
        for name, option in SWEPT
        if getattr(args, name) is not None
    }
    sweeping = args.csv or any(len(found) > 1 for found in values.values())
    if sweeping:  # one value is checked where the configuration is made, as always
        _check("--gpus", values["gpus"], 1, allow_equal=True, whole=True)
        _check("--prompt", values["prompt"], 0, allow_equal=True)
        _check("--decode", values["decode"], 0, allow_equal=False)
        _check("--batch", values.get("batch", []), 0, allow_equal=False)
    model = _model(args)
    # No --dtype: the model's own (a config.json's torch_dtype), else fp16.
    dtype = {} if args.dtype is None else {"dtype": args.dtype}
    first = {name: found[0] for name, found in values.items()}
    config = ServingConfig(
        model=model,
        hardware=args.hardware,
        gpus=int(first["gpus"]) if first["gpus"].is_integer() else first["gpus"],
        prompt_tokens=first["prompt"],
        decode_tokens=first["decode"],
        kv_dtype=args.kv_dtype,
        batch_size=first.get("batch"),
        **dtype,
    )
    if sweeping:
        return _sweep(args, config, values)
    lines, document = _one(model, config)
    return [json.dumps(document, indent=2)] if args.json else lines


def _one(model: Transformer, config: ServingConfig) -> tuple[list[str], dict[str, Any]]:
    """The notes' table for one serving configuration, and the same figures as JSON."""
    b = bound(config)
    per_gpu = b.optimal_tokens_per_second_per_gpu
    params = model.params or model.counted_params
    lines = [
        f"{model.name} on {config.gpus} x {b.hardware}, p={b.prompt_tokens:g},"
        f" d={b.decode_tokens:g}, {config.dtype}",
        f"  params            {params / 1e9:.2f}e9 ({model.active_params / 1e9:.2f}e9"
        " active per token)",
        f"  B_dense           {figure(b.batch_size)} tokens per iteration",
        f"  T_memory          {seconds(b.memory_seconds)}",
        f"  T_compute         {seconds(b.compute_seconds)}",
        f"  T_net             {seconds(b.network_seconds)}",
        f"  T_net/T_compute   {b.network_to_compute:.3f}",
        f"  T_mem/T_compute   {b.memory_to_compute:.3f}",
        f"  bottleneck        {b.bottleneck}",
        f"  optimal           {tokens_per_second(b.optimal_tokens_per_second)}"
        f" ({figure(per_gpu)} per GPU; {figure(b.optimal_decode_tokens_per_second)} output"
        f" tokens/s; {figure(b.optimal_requests_per_second)} requests/s)",
        f"  attainable        {tokens_per_second(b.attainable_tokens_per_second)}"
        " (B_dense / bound)",
        f"  KV cache          {format_quantity(b.kv_bytes_per_token, BYTES)} per token"
        f" ({config.kv_dtype or config.dtype}), GQA group {model.gqa_group_size:g}",
    ]
    document = {
        "model": model.model_dump(mode="json", exclude={"sources", "aliases", "description"}),
        "config": config.model_dump(mode="json", exclude={"model"}),
        "bound": b.model_dump(mode="json"),
    }
    return lines, document


def _sweep(
    args: argparse.Namespace, config: ServingConfig, values: dict[str, list[float]]
) -> list[str]:
    """Every combination of the swept values, gpus first, in the order given."""
    grid = list(
        itertools.product(
            values["gpus"], values["prompt"], values["decode"], values.get("batch", [None])
        )
    )
    batches = [batch for *_, batch in grid]
    found: ServingSweep = _sweep_module().serving_sweep(
        config.model,
        args.hardware,
        gpus=[gpus for gpus, *_ in grid],
        prompt_tokens=[prompt for _, prompt, *_ in grid],
        decode_tokens=[decode for *_, decode, _ in grid],
        batch_size=None if batches[0] is None else batches,
        dtype=config.dtype,
        kv_dtype=config.kv_dtype,
    )
    table = found.as_dict()
    if args.csv:
        return [sweep_table.csv_text(table).rstrip("\n")]
    if args.json:
        document = {
            "model": config.model.model_dump(
                mode="json", exclude={"sources", "aliases", "description"}
            ),
            "hardware": args.hardware,
            "dtype": config.dtype,
            "kv_dtype": config.kv_dtype or config.dtype,
            "sweep": {key: [_json_value(v) for v in column] for key, column in table.items()},
        }
        return [json.dumps(document, indent=2, allow_nan=False)]
    kv = f", KV cache {config.kv_dtype}" if config.kv_dtype else ""
    return [
        f"{config.model.name} on {args.hardware}, {config.dtype}{kv}: {len(grid)} configurations",
        *sweep_table.table_lines(table),
    ]


def _sweep_module() -> Any:
    """:mod:`pytest_roofline.physics.sweep`, loaded by name when a sweep is asked for: it
    imports numpy at once, which every other command would pay for at its start (about
    80 ms of its 300)."""
    return importlib.import_module("pytest_roofline.physics.sweep")


def _json_value(value: Any) -> Any:
    """null for the NaN of a configuration that does not fit: JSON has no NaN."""
    return None if isinstance(value, float) and not math.isfinite(value) else value
