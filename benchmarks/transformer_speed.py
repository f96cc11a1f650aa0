"""How fast the accurate tier trains and scores on this machine.

    python benchmarks/transformer_speed.py [--sentences 10000] [--score 2000] [--set key=value ...]

Trains one epoch (compilation included in its time) of :class:`stance.transformer.TransformerClassifier` (default parameters: MiniLM,
max_length 64, batch 32) on the first N sentences of the written corpus (train, dev and test joined,
repeated if N is larger), then times ``predict_proba`` twice on other sentences (the first pass
includes XLA's compilation of each padded shape, the second is warm) and ``explain`` on 100.
Prints one JSON object; the machine's load average is part of it, because on a shared 2-core
machine it moves every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stance.transformer import TransformerClassifier  # noqa: E402

LABELS = ["blame", "threat", "denial"]


def corpus() -> tuple[list[str], np.ndarray]:
    texts, rows = [], []
    for split in ("train", "dev", "test"):
        for line in (ROOT / "seeds" / "corpus" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            texts.append(rec["text"])
            rows.append([int(label in rec["labels"]) for label in LABELS])
    return texts, np.array(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--score", type=int, default=2_000)
    ap.add_argument("--set", nargs="*", default=[], help="estimator parameters, key=value (value as JSON)")
    args = ap.parse_args()
    params = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    import jax

    X, Y = corpus()
    reps = -(-(args.sentences + args.score) // len(X))
    X, Y = X * reps, np.vstack([Y] * reps)
    Xtr, Ytr = X[: args.sentences], Y[: args.sentences]
    Xsc = X[args.sentences : args.sentences + args.score]

    stamps: list[float] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "train":
            stamps.append(time.perf_counter())

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    model = TransformerClassifier(labels=LABELS, epochs=1, threshold=0.5, progress=progress, **params).fit(Xtr, Ytr)
    fit_s = time.perf_counter() - t0
    t = time.perf_counter()
    model.predict_proba(Xsc)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    model.predict_proba(Xsc)
    warm = time.perf_counter() - t
    t = time.perf_counter()
    model.explain(Xsc[:100], top_k=5)
    explain_s = time.perf_counter() - t
    print(
        json.dumps(
            {
                "device": str(jax.devices()[0]),
                "cpu_count": os.cpu_count(),
                "load_average_before": [round(v, 2) for v in load_before],
                "load_average_after": [round(v, 2) for v in os.getloadavg()],
                "train_sentences": len(Xtr),
                "params": {k: v for k, v in model.get_params().items() if k != "progress"},
                "fit_seconds_one_epoch": round(fit_s, 1),
                "epoch_seconds": model.history_[0]["seconds"],
                "train_steps": len(stamps),
                # compilation happens at the first batch of each padded length; the median step is the steady rate
                "median_step_seconds": round(float(np.median(np.diff(stamps))), 3) if len(stamps) > 1 else None,
                "train_sentences_per_s": round(len(Xtr) / model.history_[0]["seconds"], 1),
                "score_sentences": len(Xsc),
                "score_sentences_per_s_cold": round(len(Xsc) / cold, 1),
                "score_sentences_per_s_warm": round(len(Xsc) / warm, 1),
                "explain_sentences_per_s": round(100 / explain_s, 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
