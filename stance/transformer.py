"""The accurate tier: a small pretrained encoder (all-MiniLM-L6-v2 by default) fine-tuned end to end
with a multi-label head (mean pooling + linear, binary cross-entropy), as a scikit-learn estimator.

The encoder itself, written out in JAX, and why JAX: :mod:`stance.bert`.

What a fitted model holds (and so what joblib pickles, or skops would): the fine-tuned weights as a
flat ``dict[str, numpy.ndarray]`` (float32, Hugging Face parameter names, about 90 MB for MiniLM),
the tokenizer as its ``tokenizer.json`` text, the encoder's config as a plain dict, label names and
thresholds as lists/arrays. The model file is self-contained: scoring needs ``tokenizers`` and, by
``runtime``, ``jax`` or ``onnxruntime`` and ``onnx`` (:mod:`stance.bert_onnx`; no JAX is imported then),
but not the encoder package. Compiled functions, ONNX sessions and the tokenizer object are rebuilt on
first use and never pickled.

Reproducibility: the shuffling, the head's initialisation and dropout all derive from
``random_state``; on the CPU the same data and seed give identical predictions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from stance import bert, bert_onnx
from stance.bert import DEFAULT_ENCODER_DIST, EXTRA_HINT, Progress, default_encoder_path, resolve_encoder
from stance.errors import StanceError
from stance.thresholds import learn_thresholds

__all__ = ["EXTRA_HINT", "TransformerClassifier", "default_encoder_path", "resolve_encoder"]

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
    runtime
        What scores (training is always JAX's): ``"jax"``, ``"onnx"`` (the same network in ONNX Runtime,
        float32, no JAX needed) or ``"onnx-int8"`` (its dense layers in int8: fastest on a CPU); ``fit``
        learns thresholds on this runtime's probabilities; ``set_params`` changes it on a fitted model.

    Attributes
    ----------
    params_ (dict of float32 numpy arrays), config_ (the encoder's config.json), tokenizer_json_,
    encoder_ (name, path, sha256 of the weights file, package version), labels_, classes_,
    thresholds_, thresholds_from_, history_ (mean training loss per epoch, seconds per epoch).
    """

    runtime = "jax"  # models saved before the parameter existed score with JAX
    threaded_scoring = True  # its runtime uses every core: stance.scoring never forks it into workers

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
        runtime: str = "jax",
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
        self.runtime = runtime

    # -----------------------------------------------------------------------------------------
    def fit(self, X: Sequence[str], Y: Any, X_dev: Sequence[str] | None = None, Y_dev: Any = None) -> TransformerClassifier:
        """Fine-tune on ``X, Y`` (texts, 0/1 matrix), then learn ``thresholds_`` on ``X_dev, Y_dev``."""
        X = bert._texts(X)
        Y = np.asarray(Y, dtype=np.float32)
        self._check_params(X, Y, X_dev, Y_dev)
        jax, jnp = bert._backend()
        path = resolve_encoder(self.model_path)
        config, weights, tokenizer_json = bert.load_encoder(path)
        self.config_ = config
        self.tokenizer_json_ = tokenizer_json
        self.encoder_ = {
            "name": config.get("_name_or_path") or path.name,
            "path": str(path),
            "package": DEFAULT_ENCODER_DIST if self.model_path is None else None,
            "version": bert._encoder_version(self.model_path),
            "weights_file": bert._weights_file(path).name,  # type: ignore[union-attr]
            "weights_sha256": bert.sha256_of(bert._weights_file(path)),  # type: ignore[arg-type]
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
        pos_w = bert.pos_weights(self.pos_weight, Y)

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
            batches = bert._length_batches(ids, self.batch_size, rng)
            losses = []
            for rows in batches:
                tok, mask = bert._pad(ids, rows, self.max_length, pad_id=self._pad_id())
                w = np.zeros(self.batch_size, dtype=np.float32)
                w[: len(rows)] = 1.0
                y = np.zeros((self.batch_size, n_labels), dtype=np.float32)
                y[: len(rows)] = Y[rows]
                tok, mask = bert._pad_rows(tok, self.batch_size), bert._pad_rows(mask, self.batch_size)
                step_key = jax.random.fold_in(key, done)
                trainable, opt, loss = step_fn(
                    trainable, fixed, opt, put(tok), put(mask), put(y), put(w), pos_w_dev, step_key, done, lr, head_lr, total, warm
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
            P = self.predict_proba(X_dev)
            self.thresholds_ = learn_thresholds(P, np.asarray(Y_dev), self.none_rate, self.threshold_min, self.threshold_max)
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
        if bert_onnx.check_runtime(self.runtime) != "jax":
            bert_onnx._modules()  # missing onnxruntime: say so before a long fine-tune, not after it

    def _train_step(self, names: list[str]) -> Any:
        arch = tuple(sorted(bert._arch(self.config_).items()))
        return bert._compiled_step(arch, tuple(names), float(self.dropout), float(self.weight_decay))

    # -----------------------------------------------------------------------------------------
    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """(n_samples, n_labels) probabilities; sentences are scored in length-sorted batches."""
        check_is_fitted(self, "params_")
        return self._proba(bert._texts(X), stage="score")

    def _proba(self, X: list[str], stage: str) -> np.ndarray:
        n = len(X)
        out = np.zeros((n, len(self.labels_)), dtype=np.float64)
        if not n:
            return out
        bs, batch_logits = self._batch_scorer()
        ids = self._tokenize(X)
        batches = bert._length_batches(ids, bs, None)
        for b, rows in enumerate(batches):
            logits = batch_logits(ids, rows)
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
        X = bert._texts(X)
        owners: list[int] = []
        dropped: list[int] = []
        variants: list[str] = []
        words_of: list[list[str]] = []
        wanted = np.ones((len(X), len(self.labels_)), dtype=bool) if only is None else np.asarray(only).astype(bool)
        for i, text in enumerate(X):
            spans = [m.span() for m in bert._WORD_RX.finditer(text)][:max_words]
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
        for dist in ("jax", "jaxlib", "tokenizers", "safetensors") + (("onnx", "onnxruntime") if self.runtime != "jax" else ()):
            try:
                versions[dist] = version(dist)
            except PackageNotFoundError:
                versions[dist] = None
        params = {k: v for k, v in self.get_params().items() if k not in ("progress", "labels")}
        return {
            "kind": "transformer",
            "runtime": self.runtime,
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
        jax, _ = bert._backend()
        try:
            if self.device == "auto":
                return jax.devices()[0]
            return jax.devices("cpu" if self.device == "cpu" else "gpu")[0]
        except RuntimeError as exc:
            raise StanceError(f"device {self.device!r} is not available to JAX ({exc}); use device = 'auto' or 'cpu'") from None

    def _tokenizer(self) -> Any:
        rt = self._runtime_get()
        if "tokenizer" not in rt:
            tok = bert._tokenizers().Tokenizer.from_str(self.tokenizer_json_)
            tok.no_padding()
            limit = min(int(self.max_length), bert._arch(self.config_)["max_positions"] - bert._arch(self.config_)["position_offset"])
            tok.enable_truncation(max_length=limit)
            rt["tokenizer"] = tok
        return rt["tokenizer"]

    def _pad_id(self) -> int:
        return int(self.config_.get("pad_token_id", 0) or 0)

    def _tokenize(self, X: list[str]) -> list[np.ndarray]:
        enc = self._tokenizer().encode_batch(X)
        return [np.asarray(e.ids, dtype=np.int32) for e in enc]

    def _batch_scorer(self) -> tuple[int, Any]:
        """(batch size, ``logits(ids, rows)``): JAX pads batches to few shapes (each one is compiled),
        ONNX Runtime each batch to its own longest sentence (:mod:`stance.bert_onnx`, no JAX imported)."""
        if bert_onnx.check_runtime(self.runtime) != "jax":
            session = bert_onnx.cached_session(self._runtime_get(), self.params_, bert._arch(self.config_), self.runtime, self._tokenize)
            return bert_onnx.BATCH_SIZE, lambda ids, rows: session.logits(*bert_onnx.pad(ids, rows, self._pad_id()))
        bs = max(int(self.batch_size), 64)
        return bs, bert.jax_logits(self._scorer(), bs, self.max_length, self._pad_id())

    def _scorer(self) -> tuple[Any, Any, Any]:
        rt = self._runtime_get()
        if "scorer" not in rt:
            jax, _ = bert._backend()
            device = self._device()
            params = {k: jax.device_put(v, device) for k, v in self.params_.items()}
            rt["scorer"] = (bert._compiled_scorer(tuple(sorted(bert._arch(self.config_).items()))), params, device)
        return rt["scorer"]

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_runtime", None)
        state["progress"] = None  # a callback (often a closure over a progress bar) is not the model's
        return state
