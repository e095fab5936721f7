"""Transformer: the catalog models, their parameter counts, KV cache, and Hugging Face configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from pytest_roofline import DeclarationError, ServingConfig, Transformer, UnknownNameError
from pytest_roofline.specs.transformer import model_catalog

CATALOG = [
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-8b",
    "llama-3-70b",
    "llama-3.1-405b",
    "mistral-7b",
    "mixtral-8x7b",
    "qwen2-72b",
    "deepseek-67b",
]


def with_params(model: Transformer, params: float) -> Transformer:
    """The same architecture with a nominal parameter count."""
    return Transformer(**{**model.model_dump(), "params": params})


# -- the catalog -----------------------------------------------------------------------


@pytest.mark.parametrize("name", CATALOG)
def test_catalog_model_loads_by_its_name(name: str) -> None:
    model = Transformer.named(name)
    assert model.name == name
    assert model.params is not None
    assert model.params > 1e9
    assert model.sources["architecture"].startswith("https://huggingface.co/")


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("LLaMA-2-70B", "llama-2-70b"),
        ("meta-llama/Llama-2-70b-hf", "llama-2-70b"),
        ("  Llama_2_70b  ", "llama-2-70b"),
        ("Mixtral-8x7B-v0.1", "mixtral-8x7b"),
        ("mistralai/Mixtral-8x7B-v0.1", "mixtral-8x7b"),
        ("Meta-Llama-3-8B", "llama-3-8b"),
        ("Qwen/Qwen2-72B", "qwen2-72b"),
        ("Mistral-7B-v0.1", "mistral-7b"),
        ("deepseek-ai/deepseek-llm-67b-base", "deepseek-67b"),
    ],
)
def test_names_are_case_insensitive_and_aliases_resolve(spelling: str, name: str) -> None:
    assert Transformer.named(spelling).name == name


def test_unknown_name_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        Transformer.named("llama-2-71b")
    message = str(info.value)
    assert "\n" not in message
    assert "llama-2-71b" in message
    assert "llama-2-70b" in info.value.suggestions
    assert "llama-2-70b" in message


def test_unknown_name_is_a_value_error() -> None:
    # RooflineError subclasses ValueError (errors.py), so plain callers can catch it.
    with pytest.raises(ValueError, match="unknown model"):
        Transformer.named("gpt-5")


# -- parameter counts against published figures ---------------------------------------


@pytest.mark.parametrize(
    ("name", "published"),
    [
        # Hugging Face model cards / safetensors metadata of each model.
        ("llama-2-7b", 6.74e9),  # meta-llama/Llama-2-7b-hf: 6,738,415,616
        ("llama-2-13b", 13.02e9),  # meta-llama/Llama-2-13b-hf: 13,015,864,320
        ("llama-2-70b", 68.98e9),  # meta-llama/Llama-2-70b-hf: 68,976,648,192
        ("llama-3-8b", 8.03e9),  # meta-llama/Meta-Llama-3-8B: 8,030,261,248
        ("llama-3-70b", 70.55e9),  # meta-llama/Meta-Llama-3-70B: 70,553,706,496
        ("llama-3.1-405b", 405.85e9),  # meta-llama/Llama-3.1-405B: 405,853,388,800
        ("mistral-7b", 7.24e9),  # mistralai/Mistral-7B-v0.1: 7,241,732,096
        ("mixtral-8x7b", 46.7e9),  # Mistral AI, "Mixtral of experts": 46.7B total
        ("qwen2-72b", 72.7e9),  # Qwen/Qwen2-72B: 72.7B (q/k/v projections with biases)
        ("deepseek-67b", 67.4e9),  # deepseek-ai/deepseek-llm-67b-base: 67.4B
    ],
)
def test_parameter_count_matches_published_figure(name: str, published: float) -> None:
    model = Transformer.named(name)
    assert model.params == pytest.approx(published, rel=2e-3)
    assert model.counted_params == model.params


def test_llama_2_70b_hand_count() -> None:
    # LLaMA-2-70B config.json (meta-llama/Llama-2-70b-hf): hidden 8192, 80 layers, 64 heads,
    # 8 KV heads (head_dim 128, so k/v project to 1024), MLP 28672, vocab 32000, untied.
    hidden, layers, kv, mlp, vocab = 8192, 80, 1024, 28672, 32000
    embedding = vocab * hidden * 2  # input embedding and output head
    attention = 2 * hidden * hidden + 2 * hidden * kv  # q, o; k, v
    swiglu = 3 * hidden * mlp  # gate, up, down
    norms = 2 * hidden  # two RMSNorm weights per layer
    total = embedding + layers * (attention + swiglu + norms) + hidden  # final norm
    assert total == 68_976_648_192  # the figure Hugging Face reports for the checkpoint
    assert Transformer.named("llama-2-70b").counted_params == total


def test_mixtral_active_parameters_per_token() -> None:
    # Mistral AI, "Mixtral of experts" (2023-12-11): "46.7B total parameters but only uses
    # 12.9B parameters per token".
    model = Transformer.named("mixtral-8x7b")
    assert model.params == pytest.approx(46.7e9, rel=1e-3)
    assert model.active_params == pytest.approx(12.9e9, rel=2e-3)
    # The 6 experts a token skips in each of 32 layers, each a SwiGLU of 3·4096·14336.
    assert model.params - model.active_params == 32 * 6 * 3 * 4096 * 14336


def test_dense_model_uses_all_its_parameters() -> None:
    model = Transformer.named("llama-3-8b")
    assert model.active_params == model.params


def test_qwen2_attention_biases_count() -> None:
    # Qwen2 puts biases on q, k and v: (64 + 2·8)·128 = 10,240 per layer, 80 layers.
    qwen = Transformer.named("qwen2-72b")
    without = Transformer(**{**qwen.model_dump(exclude={"params"}), "attention_bias": False})
    assert qwen.counted_params - without.counted_params == 80 * (8192 + 2 * 1024)


def test_tied_embeddings_count_the_matrix_once() -> None:
    llama = Transformer.named("llama-2-7b")
    tied = Transformer(**{**llama.model_dump(exclude={"params"}), "tie_embeddings": True})
    assert llama.counted_params - tied.counted_params == 32000 * 4096


# -- a nominal parameter count ---------------------------------------------------------


def test_params_override_keeps_the_architecture() -> None:
    # NanoFlow (arXiv 2408.12757) calls LLaMA-2-70B "70B" and uses P_model = 70e9.
    llama = Transformer.named("llama-2-70b")
    nominal = with_params(llama, 70e9)
    assert nominal.params == 70e9
    assert nominal.active_params == pytest.approx(70e9, rel=1e-12)
    assert nominal.weight_bytes("fp16") == pytest.approx(140e9, rel=1e-12)
    assert nominal.counted_params == llama.counted_params
    assert nominal.kv_bytes_per_token() == llama.kv_bytes_per_token()
    assert (nominal.hidden_size, nominal.layers) == (8192, 80)
    assert llama.params == pytest.approx(68.98e9, rel=1e-4)  # the catalog entry is untouched


def test_params_override_scales_active_params() -> None:
    mixtral = Transformer.named("mixtral-8x7b")
    nominal = with_params(mixtral, 47e9)
    # The active share stays 12,879,925,248 / 46,702,792,704 of the stored parameters.
    assert nominal.active_params == pytest.approx(47e9 * 12_879_925_248 / 46_702_792_704)


# -- GQA and the KV cache --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("llama-2-7b", 1),  # multi-head attention: 32 heads, 32 KV heads
        ("llama-2-70b", 8),  # 64 heads, 8 KV heads
        ("llama-3-8b", 4),  # 32 heads, 8 KV heads
        ("llama-3.1-405b", 16),  # 128 heads, 8 KV heads
    ],
)
def test_gqa_group_size(name: str, group: int) -> None:
    assert Transformer.named(name).gqa_group_size == group


def test_kv_heads_default_to_heads() -> None:
    model = Transformer(
        name="tiny", hidden_size=256, layers=2, heads=4, intermediate_size=512, vocab_size=100
    )
    assert model.kv_heads == 4
    assert model.head_dim == 64
    assert model.gqa_group_size == 1


def test_kv_bytes_per_token_llama_13b() -> None:
    # 2 (K and V) · L · kv_heads · head_dim · bytes: 2·40·40·128·2 = 819,200 B/token.
    model = Transformer.named("llama-2-13b")
    assert model.kv_bytes_per_token("bf16") == 819_200
    # jax-ml/scaling-book, inference.md: "a KV cache for a single 8192 sequence at bf16 is
    # 8192 x 40 x 128 x 40 x 2 x 2 = 6.7 GB".
    assert model.kv_bytes_per_token("bf16") * 8192 == pytest.approx(6.7e9, rel=0.01)


@pytest.mark.parametrize(
    ("name", "dtype", "expected"),
    [
        ("llama-2-70b", "fp16", 2 * 80 * 8 * 128 * 2),  # 327,680
        ("llama-2-70b", "fp8", 2 * 80 * 8 * 128 * 1),
        ("llama-2-7b", "float16", 2 * 32 * 32 * 128 * 2),
        ("llama-3.1-405b", "bf16", 2 * 126 * 8 * 128 * 2),
        ("mixtral-8x7b", "fp32", 2 * 32 * 8 * 128 * 4),  # experts do not touch the cache
    ],
)
def test_kv_bytes_per_token(name: str, dtype: str, expected: int) -> None:
    assert Transformer.named(name).kv_bytes_per_token(dtype) == expected


def test_explicit_head_dim() -> None:
    model = Transformer(
        name="odd",
        hidden_size=100,
        layers=1,
        heads=3,
        head_dim=32,
        intermediate_size=64,
        vocab_size=10,
    )
    assert model.kv_bytes_per_token("fp16") == 2 * 1 * 3 * 32 * 2


# -- validation ------------------------------------------------------------------------


def test_kv_heads_must_divide_heads() -> None:
    with pytest.raises(DeclarationError, match=r"kv_heads \(3\) must divide heads \(8\)") as info:
        Transformer(
            name="bad",
            hidden_size=64,
            layers=1,
            heads=8,
            kv_heads=3,
            intermediate_size=4,
            vocab_size=4,
        )
    assert "\n" not in str(info.value)


def test_experts_per_token_cannot_exceed_experts() -> None:
    with pytest.raises(DeclarationError, match=r"experts_per_token \(3\) exceeds experts \(2\)"):
        Transformer(
            name="bad",
            hidden_size=64,
            layers=1,
            heads=8,
            experts=2,
            experts_per_token=3,
            intermediate_size=4,
            vocab_size=4,
        )


def test_hidden_size_not_a_multiple_of_heads_needs_head_dim() -> None:
    with pytest.raises(DeclarationError, match="head_dim"):
        Transformer(
            name="bad", hidden_size=100, layers=1, heads=3, intermediate_size=4, vocab_size=4
        )


@pytest.mark.parametrize("field", ["hidden_size", "layers", "heads", "vocab_size"])
def test_sizes_must_be_positive(field: str) -> None:
    data = {
        "name": "bad",
        "hidden_size": 64,
        "layers": 1,
        "heads": 8,
        "intermediate_size": 4,
        "vocab_size": 4,
    }
    with pytest.raises(DeclarationError, match=field):
        Transformer(**{**data, field: 0})


def test_misspelt_field_is_an_error() -> None:
    with pytest.raises(DeclarationError, match="hidden_size"):
        Transformer(name="bad", hiden_size=64, layers=1, heads=8, intermediate_size=4, vocab_size=4)


def test_model_is_frozen() -> None:
    model = Transformer.named("llama-2-70b")
    with pytest.raises(ValidationError):
        model.params = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        model.kv_heads = 64  # type: ignore[misc]
    assert Transformer.named("llama-2-70b").kv_heads == 8


# -- Hugging Face config.json ----------------------------------------------------------

# Field names and values as in each model's config.json on the Hugging Face hub.
HF_CONFIGS = {
    "llama-2-70b": {
        "_name_or_path": "meta-llama/Llama-2-70b-hf",
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": 8192,
        "intermediate_size": 28672,
        "num_attention_heads": 64,
        "num_hidden_layers": 80,
        "num_key_value_heads": 8,
        "vocab_size": 32000,
        "tie_word_embeddings": False,
        "rms_norm_eps": 1e-05,
        "max_position_embeddings": 4096,
        "torch_dtype": "float16",
    },
    "mistral-7b": {
        "architectures": ["MistralForCausalLM"],
        "model_type": "mistral",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_hidden_layers": 32,
        "num_key_value_heads": 8,
        "vocab_size": 32000,
        "tie_word_embeddings": False,
        "sliding_window": 4096,
        "rope_theta": 10000.0,
    },
    "mixtral-8x7b": {
        "architectures": ["MixtralForCausalLM"],
        "model_type": "mixtral",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_hidden_layers": 32,
        "num_key_value_heads": 8,
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
        "vocab_size": 32000,
        "tie_word_embeddings": False,
        "router_aux_loss_coef": 0.02,
    },
    "qwen2-72b": {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "hidden_size": 8192,
        "intermediate_size": 29568,
        "num_attention_heads": 64,
        "num_hidden_layers": 80,
        "num_key_value_heads": 8,
        "vocab_size": 152064,
        "tie_word_embeddings": False,
        "use_sliding_window": False,
    },
}


def same_architecture(a: Transformer, b: Transformer) -> None:
    assert a.counted_params == b.counted_params
    assert a.params == b.params
    assert a.active_params == b.active_params
    assert a.kv_bytes_per_token("fp16") == b.kv_bytes_per_token("fp16")
    assert a.gqa_group_size == b.gqa_group_size
    assert (a.hidden_size, a.layers, a.heads, a.kv_heads, a.head_dim) == (
        b.hidden_size,
        b.layers,
        b.heads,
        b.kv_heads,
        b.head_dim,
    )
    assert (a.experts, a.experts_per_token, a.attention_bias, a.tie_embeddings) == (
        b.experts,
        b.experts_per_token,
        b.attention_bias,
        b.tie_embeddings,
    )


@pytest.mark.parametrize("name", sorted(HF_CONFIGS))
def test_hf_config_dict_matches_catalog(name: str) -> None:
    same_architecture(Transformer.from_hf_config(HF_CONFIGS[name]), Transformer.named(name))


@pytest.mark.parametrize("name", sorted(HF_CONFIGS))
def test_hf_config_file_matches_catalog(name: str, tmp_path: Path) -> None:
    folder = tmp_path / name
    folder.mkdir()
    path = folder / "config.json"
    path.write_text(json.dumps(HF_CONFIGS[name]), encoding="utf-8")
    from_file = Transformer.from_hf_config(path)
    same_architecture(from_file, Transformer.named(name))
    same_architecture(Transformer.from_hf_config(str(path)), from_file)
    same_architecture(Transformer.from_hf_config(folder), from_file)  # the folder holding it


def test_hf_config_names() -> None:
    llama = Transformer.from_hf_config(HF_CONFIGS["llama-2-70b"])
    assert llama.name == "llama-2-70b-hf"  # from _name_or_path, without the organisation
    assert Transformer.from_hf_config(HF_CONFIGS["mistral-7b"], name="My Mistral").name == (
        "my-mistral"
    )


def test_hf_config_name_from_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mixtral-local"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(HF_CONFIGS["mixtral-8x7b"]), "utf-8")
    assert Transformer.from_hf_config(folder).name == "mixtral-local"


def test_hf_config_qwen2_biases_come_from_model_type() -> None:
    qwen = Transformer.from_hf_config(HF_CONFIGS["qwen2-72b"])
    assert qwen.attention_bias
    llama_type = Transformer.from_hf_config({**HF_CONFIGS["qwen2-72b"], "model_type": "llama"})
    assert not llama_type.attention_bias
    assert qwen.counted_params - llama_type.counted_params == 80 * (8192 + 2 * 1024)


def test_hf_config_explicit_attention_bias_wins() -> None:
    config = {**HF_CONFIGS["llama-2-70b"], "attention_bias": True}
    assert Transformer.from_hf_config(config).attention_bias


def test_hf_config_without_kv_heads_is_multi_head() -> None:
    config = {k: v for k, v in HF_CONFIGS["llama-2-70b"].items() if k != "num_key_value_heads"}
    model = Transformer.from_hf_config(config)
    assert model.kv_heads == 64
    assert model.gqa_group_size == 1


def test_hf_config_tied_embeddings() -> None:
    tied = Transformer.from_hf_config({**HF_CONFIGS["mistral-7b"], "tie_word_embeddings": True})
    assert Transformer.named("mistral-7b").counted_params - tied.counted_params == 32000 * 4096


REQUIRED = [
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "vocab_size",
]


@pytest.mark.parametrize("field", REQUIRED)
def test_hf_config_missing_field_names_field_and_file(field: str, tmp_path: Path) -> None:
    config = {k: v for k, v in HF_CONFIGS["llama-2-70b"].items() if k != field}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(DeclarationError) as info:
        Transformer.from_hf_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert repr(field) in message
    assert str(path) in message


def test_hf_config_dict_missing_field() -> None:
    with pytest.raises(DeclarationError, match="'num_attention_heads'"):
        Transformer.from_hf_config({"hidden_size": 4096, "num_hidden_layers": 32})


def test_hf_config_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"hidden_size": 4096,', encoding="utf-8")
    with pytest.raises(DeclarationError) as info:
        Transformer.from_hf_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert "JSON" in message


def test_hf_config_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(DeclarationError, match="JSON object"):
        Transformer.from_hf_config(path)


def test_hf_config_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "config.json"
    with pytest.raises(DeclarationError) as info:
        Transformer.from_hf_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message


def test_hf_config_bad_values_are_one_line_errors() -> None:
    with pytest.raises(DeclarationError) as info:
        Transformer.from_hf_config({**HF_CONFIGS["llama-2-70b"], "num_key_value_heads": 7})
    assert "\n" not in str(info.value)
    assert "kv_heads (7) must divide heads (64)" in str(info.value)
    with pytest.raises(DeclarationError, match="experts_per_token"):
        Transformer.from_hf_config({**HF_CONFIGS["mixtral-8x7b"], "num_experts_per_tok": 9})


@pytest.mark.parametrize(
    ("model_id", "base"),
    [
        # Hugging Face ids as engines write them in their result files (vLLM's model_id).
        ("meta-llama/Meta-Llama-3-8B-Instruct", "llama-3-8b"),
        ("meta-llama/Llama-2-70b-chat-hf", "llama-2-70b"),
        ("meta-llama/Llama-2-70b-hf", "llama-2-70b"),
        ("Qwen/Qwen2-72B-Instruct", "qwen2-72b"),
        ("LLAMA-2-7B", "llama-2-7b"),
    ],
)
def test_hugging_face_ids_resolve_to_their_base_model(model_id: str, base: str) -> None:
    """A fine-tune's weights are its base model's: -Instruct, -chat and -hf, any case, with
    or without the organisation, bound the same as the base architecture."""
    assert model_catalog().lookup(model_id).name == base


def test_an_unknown_hugging_face_id_still_suggests_names() -> None:
    with pytest.raises(UnknownNameError, match="did you mean"):
        model_catalog().lookup("meta-llama/Llama-4-9B-Instruct")


def test_hf_config_dtype_is_the_torch_dtype_a_serving_config_defaults_to() -> None:
    # LLaMA-2-70B's config.json says "torch_dtype": "float16"; Mistral's (above) none.
    llama = Transformer.from_hf_config({**HF_CONFIGS["llama-2-70b"], "torch_dtype": "bfloat16"})
    assert llama.dtype == "bf16"
    assert ServingConfig(model=llama, hardware="h100-sxm").dtype == "bf16"
    assert ServingConfig(model=llama, hardware="h100-sxm", dtype="fp8").dtype == "fp8"
    assert Transformer.from_hf_config(HF_CONFIGS["mistral-7b"]).dtype is None
    assert ServingConfig(model="llama-2-70b", hardware="h100-sxm").dtype == "fp16"
