"""What an engine's result file says about the declared work, and which of its figures
times it.

A file is judged against a declaration, so the two must describe the same thing:

- the **model**: the file's model id is compared with the declared model; a different
  known model is an error (unless the test says it is intended), an unknown one a note;
- a **decode step** is timed by the file's time per output token (TPOT), except under
  speculative decoding, where a step emits several tokens and TPOT divides its time among
  them: then the step is the inter-token latency (or TPOT times the acceptance length);
- a **prefill** is timed by the time to the first token (TTFT), never by TPOT;
- **serving** throughput is bounded at the batch the engine ran: a file's
  ``max_concurrency`` of C requests in flight is C·(p + d)/d tokens per iteration in the
  serving model, when that is below the dense batch B_dense.

A figure the file does not hold is an error naming it, not a substitute.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_roofline.core.names import normalize
from pytest_roofline.core.units import format_seconds
from pytest_roofline.errors import DeclarationError, UnknownNameError
from pytest_roofline.measurement.engine_result import EngineResult
from pytest_roofline.physics.serving import serving_bound
from pytest_roofline.specs.hardware import Hardware
from pytest_roofline.specs.kernels import Kernel
from pytest_roofline.specs.serving import ServingConfig
from pytest_roofline.specs.transformer import Transformer, base_model_ids, model_catalog

SPECULATIVE = 1.0 + 1e-9
"""An acceptance length above this means a step emitted more than one token per request."""


def model_names(model: Transformer) -> list[str]:
    """The names a declared model answers to: its own, its aliases, the id it was asked by."""
    names = [model.name, *model.aliases]
    if model.requested:
        names.append(model.requested)
    return names


def same_model(file_model: str, declared: Iterable[str]) -> tuple[bool | None, str | None]:
    """Whether the file's model id names the declared model: True, False, or None when
    the id is not one the catalog knows; and the catalog name the id resolves to."""
    wanted = {candidate for name in declared for candidate in base_model_ids(name)}
    if wanted & set(base_model_ids(file_model)):
        return True, None
    try:
        resolved = model_catalog().lookup(file_model)
    except UnknownNameError:
        return None, None
    if wanted & {normalize(name) for name in model_names(resolved)}:
        return True, resolved.name
    return False, resolved.name


def check_model(engine: EngineResult, declared: list[str], allowed: bool, notes: list[str]) -> None:
    """One line when the file ran another model than the one declared (see the module)."""
    __tracebackhide__ = True
    if engine.model is None or not declared:
        return
    same, resolved = same_model(engine.model, declared)
    if same:
        return
    if same is None:
        notes.append(
            f"the file's model {engine.model!r} is not one the catalog knows, so it was not"
            f" checked against the declared {declared[0]}"
        )
        return
    said = f"{engine.model!r} ({resolved})"
    if allowed:
        notes.append(f"the file's model {said} is not the declared {declared[0]}, as allowed")
        return
    raise DeclarationError(
        f"{engine.source}: the file's model {said} is not the declared {declared[0]};"
        " pass allow_model_mismatch=True to report_engine_result if that is intended"
    )


def kernel_seconds(kernel: Kernel, engine: EngineResult, notes: list[str]) -> float:
    """The time of the declared kernel in the file: TTFT for a prefill, else one decode
    step (see the module docstring)."""
    __tracebackhide__ = True
    if kernel.phase == "prefill":
        if engine.mean_ttft_seconds is None:
            raise DeclarationError(
                f"{engine.source}: holds no mean time to the first token (TTFT), which a"
                f" prefill ({kernel.label}) is judged on"
            )
        notes.append(
            "judged on the mean time to the first token, which includes the time a request"
            " queued: the prefill's utilization is a floor"
        )
        return engine.mean_ttft_seconds
    tpot = engine.mean_tpot_seconds
    accepted = engine.acceptance_length
    if accepted is not None and accepted > SPECULATIVE:
        itl = engine.mean_itl_seconds
        step = itl if itl is not None else (tpot * accepted if tpot is not None else None)
        if step is None:
            raise DeclarationError(
                f"{engine.source}: a speculative-decoding run holds no inter-token latency"
                f" or TPOT, which a decode step ({kernel.label}) is judged on"
            )
        figure = "the mean inter-token latency" if itl is not None else "TPOT x that length"
        tpot_part = f", not the TPOT ({format_seconds(tpot)})" if tpot is not None else ""
        notes.append(
            f"speculative decoding: {accepted:.3g} tokens per step (acceptance length), so a"
            f" decode step is judged on {figure} ({format_seconds(step)}){tpot_part},"
            " which divides a step among the tokens it accepted"
        )
        return step
    if tpot is None:
        raise DeclarationError(
            f"{engine.source}: holds no mean time per output token (TPOT), which a decode"
            f" step ({kernel.label}) is judged on; declare a ServingConfig to judge its"
            " throughput"
        )
    return tpot


def fill_lengths(work: ServingConfig, engine: EngineResult, notes: list[str]) -> ServingConfig:
    """``work`` with the file's mean lengths where it leaves them out."""
    __tracebackhide__ = True
    from_file = {
        "prompt_tokens": engine.mean_prompt_tokens,
        "decode_tokens": engine.mean_output_tokens,
    }
    missing = [name for name in from_file if getattr(work, name) is None]
    unknown = [name for name in missing if from_file[name] is None]
    if unknown:
        raise DeclarationError(
            f"{engine.source}: holds no mean prompt and output lengths (a"
            f" {engine.format} result counts tokens only in total); give"
            f" {' and '.join(f'{name}=' for name in unknown)} in the ServingConfig"
        )
    for name, value in from_file.items():
        declared = getattr(work, name)
        if declared and value is not None and abs(value - declared) > 0.1 * declared:
            notes.append(
                f"the file's mean {name} ({value:.0f}) differs from the declared"
                f" {declared:g} by more than 10 %"
            )
    if not missing:
        return work
    notes.append(", ".join(f"{name}={from_file[name]:.1f}" for name in missing) + " from the file")
    if "decode_tokens" in missing and not from_file["decode_tokens"]:
        raise DeclarationError(
            f"{engine.source}: its requests produced no output token"
            " (total_output_tokens is 0), so there is no decode length to judge against"
        )
    # Validated again (model_copy would not): the file's lengths are input too.
    return ServingConfig(**{**dict(work), **{name: from_file[name] for name in missing}})


def engine_batch(
    work: ServingConfig, engine: EngineResult, device: Hardware, notes: list[str]
) -> ServingConfig:
    """``work`` bounded at the batch the engine ran, when the file gives its concurrency
    and the config gives no batch (see the module docstring); the note says which."""
    __tracebackhide__ = True
    concurrency = engine.max_concurrency
    if concurrency is None or work.batch_size is not None:
        return work
    p, d = work.lengths()
    dense = serving_bound(work, device).batch_size
    batch = concurrency * (p + d) / d
    if batch >= dense:
        notes.append(
            f"the engine ran up to {concurrency:g} requests at once (max_concurrency), at"
            f" least the dense batch of {dense:,.0f} tokens memory holds: bounded at that"
        )
        return work
    notes.append(
        f"bounded at the batch the engine ran: {concurrency:g} requests at once"
        f" (max_concurrency) are {batch:,.0f} tokens per iteration, C·(p + d)/d, below the"
        f" dense batch of {dense:,.0f}; optimal_tokens_per_second is the dense optimum"
    )
    return ServingConfig(**{**dict(work), "batch_size": batch})


def speculative_note(engine: EngineResult) -> str:
    """Why a serving bound may read low under speculative decoding, or ""."""
    accepted = engine.acceptance_length
    if accepted is None or accepted <= SPECULATIVE:
        return ""
    return (
        f"speculative decoding: {accepted:.3g} tokens per request per step, where the"
        " serving bound counts one: where memory binds, the bound is up to that factor low"
    )


def engine_record(engine: EngineResult) -> dict[str, Any]:
    """What the record keeps of the file: where it came from, its requests, its model,
    and its latency statistics (seconds), for the JSON report."""
    return engine.model_dump(
        mode="json",
        include={
            "format",
            "source",
            "model",
            "requests",
            "failed_requests",
            "max_concurrency",
            "acceptance_length",
            "duration_seconds",
            "latency",
        },
    )
