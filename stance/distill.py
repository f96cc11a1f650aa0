"""Distillation: a teacher model (the accurate tier, or any saved model) labels a pool of unlabelled
sentences with its probabilities; the fast tier then learns those soft labels beside the gold ones
(``[data] soft``), so that it carries some of what the teacher learnt to text the gold data lacks.

The soft-label file is JSONL: each pool row as it came (its source and licence kept), plus ``soft``
(``{label: probability}``) and ``teacher`` (which model gave them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.artifact import load_model
from stance.config import DataConfig
from stance.data import read_rows
from stance.errors import StanceError
from stance.fileio import write_jsonl

DIGITS = 4


def teach(
    model_dir: str | Path,
    pool: str | Path,
    out: str | Path,
    text_field: str = "text",
    soft_field: str = "soft",
    trust_model: bool = False,
    batch_size: int = 512,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write ``out``: every sentence of ``pool`` with the model's probabilities. Returns a summary
    (sentences, mean probability per label, the teacher)."""
    model, manifest = load_model(model_dir, trust_model=trust_model)
    rows, _ = read_rows(pool, text_field)
    texts: list[str] = []
    for line, row in rows:
        text = row.get(text_field)
        if not isinstance(text, str) or not text.strip():
            raise StanceError(f"no text in field '{text_field}'", path=pool, line=line)
        texts.append(text)
    if not texts:
        raise StanceError("no sentences to label", path=pool)
    # length-sorted batches: the transformer pads a batch to its longest sentence
    order = np.argsort([len(t) for t in texts], kind="stable")
    P = np.zeros((len(texts), len(manifest["labels"])))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        P[idx] = model.predict_proba([texts[i] for i in idx])
        if progress is not None:
            progress(min(start + batch_size, len(order)), len(order))
    teacher = {
        "model": str(model_dir),
        "model_sha256": manifest.get("model_sha256"),
        "kind": manifest.get("config", {}).get("model", {}).get("kind"),
    }
    labels = list(manifest["labels"])
    write_jsonl(
        out,
        (
            {**row, soft_field: {lab: round(float(p), DIGITS) for lab, p in zip(labels, P[i])}, "teacher": teacher}
            for i, (_, row) in enumerate(rows)
        ),
    )
    return {"n": len(texts), "labels": labels, "mean": dict(zip(labels, P.mean(0).round(4).tolist())), "teacher": teacher}


def load_soft(source: str | list[str], labels: Sequence[str], cfg: DataConfig) -> tuple[list[str], np.ndarray, str]:
    """Texts and their (n, n_labels) soft targets from ``data.soft``; errors name the file and line."""
    if not isinstance(source, (str, Path)):
        parts = [load_soft(s, labels, cfg) for s in source]
        return [t for p in parts for t in p[0]], np.vstack([p[1] for p in parts]), ",".join(p[2] for p in parts)
    if not Path(source).exists():
        raise StanceError(f"file not found (looked for {Path(source).resolve()}; named by config key 'data.soft')", path=source)
    rows, digest = read_rows(source, cfg.text_field)
    texts, out = [], np.zeros((len(rows), len(labels)))
    for i, (line, row) in enumerate(rows):
        text, soft = row.get(cfg.text_field), row.get(cfg.soft_field)
        if not isinstance(text, str) or not text.strip():
            raise StanceError(f"no text in field '{cfg.text_field}'", path=source, line=line)
        if not isinstance(soft, dict):
            raise StanceError(
                f"field '{cfg.soft_field}' must be an object of label probabilities (data.soft_field)", path=source, line=line
            )
        for j, lab in enumerate(labels):
            p = soft.get(lab)
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not (0 <= p <= 1) or math.isnan(p):
                got = "missing" if p is None else repr(p)
                raise StanceError(f"soft label '{lab}' must be a probability in [0, 1], got {got}", path=source, line=line)
            out[i, j] = p
        texts.append(text)
    if not texts:
        raise StanceError("no sentences in the soft-label file", path=source)
    return texts, out, digest
