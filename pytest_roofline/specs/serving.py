"""The serving workload a user declares: model, hardware, GPU count, request shape.

A value like a kernel (frozen, strict fields); the physics of serving it lives in
:mod:`pytest_roofline.physics.serving`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from pytest_roofline.core.dtypes import DType
from pytest_roofline.core.frozen import Spec
from pytest_roofline.errors import DeclarationError
from pytest_roofline.specs.hardware import Hardware
from pytest_roofline.specs.transformer import Transformer, model_catalog


def _model(value: Any) -> Any:
    __tracebackhide__ = True
    return model_catalog().lookup(value) if isinstance(value, str) else value


def _count(value: Any) -> Any:
    """A count is a whole number: True is not one GPU."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    return value


MAX_GPUS = 2**20
"""More GPUs than any cluster holds: a larger count is a mistake, not a deployment."""


class ServingConfig(Spec):
    """A serving workload: model, hardware, GPU count and the average request's shape.

    >>> from pytest_roofline import bound
    >>> config = ServingConfig(model="llama-2-70b", hardware="a100-sxm4-80gb", gpus=8,
    ...                        prompt_tokens=1024, decode_tokens=512)
    >>> b = bound(config)
    >>> b.bottleneck, round(b.optimal_tokens_per_second / 8)
    ('compute', 2262)
    """

    model: Annotated[Transformer, BeforeValidator(_model)]
    hardware: str | Hardware | None = None
    """A catalog name or a Hardware; None takes the test's or the session's hardware."""
    gpus: Annotated[int, BeforeValidator(_count), Field(ge=1, le=MAX_GPUS)] = 1
    """N_GPU, the devices the model is sharded over (tensor parallelism)."""
    prompt_tokens: float | None = Field(default=None, ge=0)
    """p, the average prompt length in tokens. May be left out when an engine result
    file reported through the fixture supplies it (``report_engine_result``)."""
    decode_tokens: float | None = Field(default=None, gt=0)
    """d, the average number of output tokens (at least a fraction of one); like p, may
    come from an engine result file."""
    dtype: DType = "fp16"
    """S_type: the dtype of weights and compute."""
    kv_dtype: DType | None = None
    """The dtype of the KV cache (default: ``dtype``)."""
    batch_size: float | None = Field(default=None, gt=0)
    """Tokens per iteration; default: B_dense, the largest batch memory holds. A given
    batch reads the weights and its own KV cache only, and must fit in memory."""

    @model_validator(mode="after")
    def _model_dtype(self) -> ServingConfig:
        """A model read from a ``config.json`` is served in its ``torch_dtype`` (bf16 for
        LLaMA-3) unless the config names a dtype."""
        if "dtype" not in self.model_fields_set and self.model.dtype is not None:
            object.__setattr__(self, "dtype", self.model.dtype)
        return self

    @property
    def label(self) -> str:
        """'llama-2-70b serving p=1024 d=512 fp16 x8' ('p=?' while a length is unknown)."""
        gpus = f" x{self.gpus}" if self.gpus > 1 else ""
        p = "?" if self.prompt_tokens is None else f"{self.prompt_tokens:g}"
        d = "?" if self.decode_tokens is None else f"{self.decode_tokens:g}"
        return f"{self.model.name} serving p={p} d={d} {self.dtype}{gpus}"

    @property
    def lengths_known(self) -> bool:
        """True when both p and d are given, so the bound can be computed."""
        return self.prompt_tokens is not None and self.decode_tokens is not None

    def lengths(self) -> tuple[float, float]:
        """(p, d), or a one-line error saying where they can come from."""
        __tracebackhide__ = True
        if self.prompt_tokens is None or self.decode_tokens is None:
            missing = [
                name
                for name, value in (
                    ("prompt_tokens", self.prompt_tokens),
                    ("decode_tokens", self.decode_tokens),
                )
                if value is None
            ]
            raise DeclarationError(
                f"{self.label}: the bound needs {' and '.join(missing)}; give them in the"
                " ServingConfig or report an engine result file that holds the mean lengths"
                " (roofline.report_engine_result)"
            )
        return self.prompt_tokens, self.decode_tokens

    @classmethod
    def _describe(cls, data: dict[str, Any]) -> str:
        model = data.get("model")
        name = model if isinstance(model, str) else getattr(model, "name", None)
        return f"ServingConfig {name!r}" if name else "ServingConfig"
