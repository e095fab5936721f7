"""Transformer: the architecture of a decoder-only LLM, as the serving model needs it.

The serving bound needs only a few figures of a model: its parameter count P_model (the
FLOPs per token are 2·P), its hidden size D_model and layer count L (the all-reduce
traffic of tensor parallelism), and its key/value heads and head size (the KV cache per
token, which sets how many requests fit in memory). Models come from the catalog in
``specs/data/models/``, from a Hugging Face ``config.json``, or are declared directly.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from pytest_roofline.core import reading
from pytest_roofline.core.dtypes import DType, dtype_bytes
from pytest_roofline.core.frozen import Spec
from pytest_roofline.core.names import normalize
from pytest_roofline.core.units import MAX_COUNT
from pytest_roofline.errors import DeclarationError, UnknownNameError
from pytest_roofline.specs import catalog


class Transformer(Spec):
    """A decoder-only transformer (LLaMA, Mistral, Mixtral, Qwen2 style).

    ``params`` is P_model: counted from the architecture when not given, or the nominal
    count a paper uses ("70B" in NanoFlow's figures) when given.

    >>> m = Transformer.named("llama-2-70b")
    >>> m.gqa_group_size, round(m.params / 1e9, 2)
    (8.0, 68.98)
    """

    name: str = Field(min_length=1)
    description: str = ""
    aliases: tuple[str, ...] = ()
    hidden_size: int = Field(gt=0, le=MAX_COUNT)
    """D_model."""
    layers: int = Field(gt=0, le=MAX_COUNT)
    """L, the number of decoder layers."""
    heads: int = Field(gt=0, le=MAX_COUNT)
    kv_heads: int | None = Field(default=None, gt=0, le=MAX_COUNT)
    """Key/value heads; heads / kv_heads is the GQA group size R_GQA (default: heads)."""
    head_dim: int | None = Field(default=None, gt=0, le=MAX_COUNT)
    intermediate_size: int = Field(gt=0, le=MAX_COUNT)
    vocab_size: int = Field(gt=0, le=MAX_COUNT)
    tie_embeddings: bool = False
    attention_bias: bool = False
    """Biases on the q, k and v projections (Qwen2)."""
    experts: int = Field(default=1, gt=0, le=MAX_COUNT)
    experts_per_token: int = Field(default=1, gt=0, le=MAX_COUNT)
    params: float | None = Field(default=None, gt=0)
    """P_model: parameters stored. Counted from the architecture when not given."""
    sources: dict[str, str] = Field(default_factory=dict)
    dtype: DType | None = None
    """The dtype its weights are published in (a ``config.json``'s ``torch_dtype``): a
    ServingConfig that names no dtype serves the model in it. None: not stated."""
    requested: str | None = None
    """The Hugging Face id a test named this catalog model by
    (``meta-llama/Meta-Llama-3-8B-Instruct`` for ``llama-3-8b``), kept for the record."""

    @model_validator(mode="after")
    def _complete(self) -> Transformer:
        kv_heads = self.kv_heads if self.kv_heads is not None else self.heads
        if self.heads % kv_heads:
            raise ValueError(
                f"kv_heads ({kv_heads}) must divide heads ({self.heads}) for grouped-query"
                " attention"
            )
        if self.head_dim is None and self.hidden_size % self.heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) is not a multiple of heads ({self.heads});"
                " give head_dim"
            )
        if self.experts_per_token > self.experts:
            raise ValueError(
                f"experts_per_token ({self.experts_per_token}) exceeds experts ({self.experts})"
            )
        # Fill the derived defaults in place: the model is frozen to users, not to itself.
        object.__setattr__(self, "kv_heads", kv_heads)
        if self.head_dim is None:
            object.__setattr__(self, "head_dim", self.hidden_size // self.heads)
        if self.params is None:
            object.__setattr__(self, "params", float(self.counted_params))
        return self

    # -- the architecture's figures ----------------------------------------------------

    @property
    def _kv_heads(self) -> int:
        assert self.kv_heads is not None
        return self.kv_heads

    @property
    def _head_dim(self) -> int:
        assert self.head_dim is not None
        return self.head_dim

    @property
    def gqa_group_size(self) -> float:
        """R_GQA = heads / kv_heads: query heads sharing one key/value head."""
        return self.heads / self._kv_heads

    @property
    def _attention_params(self) -> int:
        """q, k, v and o projections of one layer (with q/k/v biases where present)."""
        q = self.hidden_size * self.heads * self._head_dim
        kv = 2 * self.hidden_size * self._kv_heads * self._head_dim
        o = self.heads * self._head_dim * self.hidden_size
        bias = (self.heads + 2 * self._kv_heads) * self._head_dim if self.attention_bias else 0
        return q + kv + o + bias

    @property
    def _expert_params(self) -> int:
        """One SwiGLU MLP: gate, up and down projections."""
        return 3 * self.hidden_size * self.intermediate_size

    @property
    def counted_params(self) -> int:
        """Parameters stored, counted from the architecture (LLaMA layout).

        Per layer: attention projections, ``experts`` SwiGLU MLPs (plus a router when
        there is more than one), two RMSNorm weights; then the embedding, the final norm,
        and the output head unless tied to the embedding.
        """
        router = self.hidden_size * self.experts if self.experts > 1 else 0
        per_layer = (
            self._attention_params
            + self.experts * self._expert_params
            + router
            + 2 * self.hidden_size
        )
        embedding = self.vocab_size * self.hidden_size
        head = 0 if self.tie_embeddings else embedding
        return self.layers * per_layer + embedding + head + self.hidden_size

    @property
    def active_params(self) -> float:
        """Parameters used per token: all of them, less the experts a token skips.

        Scaled like ``params`` when ``params`` is a nominal count.
        """
        assert self.params is not None
        skipped = self.layers * (self.experts - self.experts_per_token) * self._expert_params
        counted = self.counted_params
        return self.params * (counted - skipped) / counted

    @property
    def gathered_params(self) -> float:
        """The input embedding table, when it is not tied to the output head.

        A forward pass gathers one row of it per token rather than reading it whole or
        multiplying by it, so the step and prefill kernels leave it out of their FLOPs
        and weight bytes (the output head, tied or not, is read and multiplied whole).
        Scaled like ``params`` when ``params`` is a nominal count.
        """
        assert self.params is not None
        if self.tie_embeddings:
            return 0.0
        return self.params * self.vocab_size * self.hidden_size / self.counted_params

    def params_read(self, batch_size: float) -> float:
        """Parameters one forward pass over ``batch_size`` tokens must read from memory.

        Dense models read them all. A mixture-of-experts layer reads only the experts its
        tokens pick: with uniform routing, E · (1 - (1 - k/E)^B) distinct experts of E
        for B tokens choosing k each, so small decode batches read far less than
        ``params`` (Mixtral 8x7B at batch 1: 2 of 8 experts).
        """
        assert self.params is not None
        if self.experts == 1:
            return self.params
        k, e = self.experts_per_token, self.experts
        touched = e * (1 - (1 - k / e) ** batch_size)
        skipped = self.layers * (e - touched) * self._expert_params
        counted = self.counted_params
        return float(self.params * (counted - skipped) / counted)

    def kv_bytes_per_token(self, kv_dtype: str = "fp16") -> float:
        """KV cache per token: 2 (K and V) · L · kv_heads · head_dim · bytes per element."""
        return 2 * self.layers * self._kv_heads * self._head_dim * dtype_bytes(kv_dtype)

    def weight_bytes(self, dtype: str = "fp16") -> float:
        """Bytes of all stored weights in ``dtype``: S_type · P_model."""
        assert self.params is not None
        return self.params * dtype_bytes(dtype)

    # -- where models come from --------------------------------------------------------

    @classmethod
    def named(cls, name: str) -> Transformer:
        """A model from the catalog (case-insensitive, aliases too)."""
        __tracebackhide__ = True
        return model_catalog().lookup(name)

    @classmethod
    def from_hf_config(
        cls, config: str | Path | Mapping[str, Any], name: str | None = None
    ) -> Transformer:
        """A model from a Hugging Face ``config.json`` (a path, or its parsed dict).

        Reads the LLaMA, Mistral, Mixtral and Qwen2 field names; a missing field is a
        one-line error naming it and the file.
        """
        __tracebackhide__ = True
        return from_hf_config(config, name)


HF_FIELDS = {
    "hidden_size": "hidden_size",
    "layers": "num_hidden_layers",
    "heads": "num_attention_heads",
    "intermediate_size": "intermediate_size",
    "vocab_size": "vocab_size",
}


def from_hf_config(config: str | Path | Mapping[str, Any], name: str | None = None) -> Transformer:
    """See :meth:`Transformer.from_hf_config`."""
    __tracebackhide__ = True
    where = "config.json"
    if isinstance(config, (str, Path)):
        path = Path(config)
        if path.is_dir():
            path = path / "config.json"
        where = str(path)
        data = reading.read_json(path, "HF config.json")
        # The folder holding config.json is what Hugging Face names the model after, even
        # when the path is given relative to it ("config.json").
        default_name = path.resolve().parent.name or "model"
    else:
        data = dict(config)
        default_name = "model"
    if not isinstance(data, dict):
        raise DeclarationError(f"{where}: expected a JSON object")
    missing = [hf for hf in HF_FIELDS.values() if hf not in data]
    if missing:
        raise DeclarationError(
            f"{where}: missing field {missing[0]!r} (LLaMA, Mistral, Mixtral and Qwen2"
            " configs all have it)"
        )
    fields: dict[str, Any] = {ours: data[hf] for ours, hf in HF_FIELDS.items()}
    fields["kv_heads"] = data.get("num_key_value_heads")
    fields["head_dim"] = data.get("head_dim")
    fields["tie_embeddings"] = bool(data.get("tie_word_embeddings", False))
    model_type = str(data.get("model_type", ""))
    fields["attention_bias"] = bool(data.get("attention_bias", model_type == "qwen2"))
    if "num_local_experts" in data:
        fields["experts"] = data["num_local_experts"]
        fields["experts_per_token"] = data.get("num_experts_per_tok", 2)
    torch_dtype = data.get("torch_dtype") or data.get("dtype")
    if isinstance(torch_dtype, str):
        fields["dtype"] = torch_dtype.removeprefix("torch.")
    raw_name = name or str(data.get("_name_or_path") or default_name)
    fields["name"] = normalize(raw_name.rsplit("/", 1)[-1])
    try:
        model: Transformer = Transformer.from_data(fields, where)
    except DeclarationError:
        raise
    return model


FINE_TUNE_SUFFIXES = ("-instruct", "-chat", "-hf", "-it", "-base")
"""What a Hugging Face id appends to a fine-tune of a base model: the weights, and so the
roofline, are the base architecture's."""


def base_model_ids(name: str) -> list[str]:
    """The ids a Hugging Face model id may stand for, most specific first:
    'meta-llama/Meta-Llama-3-8B-Instruct' -> [..., 'meta-llama-3-8b', ...]."""
    found: list[str] = []
    for candidate in (name, name.rsplit("/", 1)[-1]):
        text = normalize(candidate)
        while text and text not in found:
            found.append(text)
            stripped = next((text[: -len(s)] for s in FINE_TUNE_SUFFIXES if text.endswith(s)), "")
            text = stripped
    return found


class ModelCatalog(catalog.Catalog[Transformer]):
    """Models by name and alias; a Hugging Face id (any case, with its organisation, or a
    fine-tune's ``-Instruct`` / ``-chat`` / ``-hf`` suffix) resolves to its base model."""

    kind = "model"
    item = Transformer

    def lookup(self, name: str | Transformer) -> Transformer:
        __tracebackhide__ = True
        try:
            found = super().lookup(name)
        except UnknownNameError:
            if not isinstance(name, str):
                raise
            candidate = next((c for c in base_model_ids(name)[1:] if c in self), None)
            if candidate is None:
                raise
            found = super().lookup(candidate)
        else:
            if not isinstance(name, str) or "/" not in name:
                return found  # a catalog name or alias: the entry itself
        # A Hugging Face id, kept for the record ("meta-llama/Meta-Llama-3-8B-Instruct").
        return found.model_copy(update={"requested": name})


def model_catalog() -> ModelCatalog:
    """The models names resolve against: the built-in ones, or, during a pytest run, the
    run's catalog (with the models its configuration and plugins declare)."""
    found = catalog.active(ModelCatalog.kind)
    return found if isinstance(found, ModelCatalog) else builtin_models()


@functools.cache
def builtin_models() -> ModelCatalog:
    """The models shipped in ``specs/data/models/*.toml``, read once."""
    folder = resources.files("pytest_roofline.specs").joinpath("data").joinpath("models")
    models = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        where = f"specs/data/models/{entry.name}"
        data = reading.parse_toml(entry.read_text(encoding="utf-8"), where)
        models.append(Transformer.from_data(data, where))
    return ModelCatalog(models)
