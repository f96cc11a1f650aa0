"""What the accurate tier is worth: fine-tune on train, thresholds F1-optimal per label on dev, then
macro-F1, per-label F1 and mean average precision on each evaluation set.

    python benchmarks/transformer_check.py [--train F ...] [--dev F] [--eval NAME=F ...] [--epochs 2]
        [--set key=value ...] [--out results.json]

Defaults: train seeds/corpus/train.jsonl, dev seeds/corpus/dev.jsonl, evaluated on the corpus test
split and seeds/out-of-style/test.jsonl. A real-text set such as ../shared/real-dev/real-dev.jsonl
is added with ``--eval real-dev=PATH``: it is only measured, never trained or tuned on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stance.transformer import TransformerClassifier  # noqa: E402

LABELS = ["blame", "threat", "denial"]


def read(paths: list[str], labels: list[str]) -> tuple[list[str], np.ndarray]:
    texts, rows = [], []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                texts.append(rec["text"])
                rows.append([int(label in rec["labels"]) for label in labels])
    return texts, np.array(rows, dtype=np.uint8)


def metrics(Y: np.ndarray, P: np.ndarray, pred: np.ndarray, labels: list[str]) -> dict[str, object]:
    from sklearn.metrics import average_precision_score, f1_score

    per = {label: round(float(f1_score(Y[:, j], pred[:, j], zero_division=0)), 3) for j, label in enumerate(labels)}
    ap = [float(average_precision_score(Y[:, j], P[:, j])) for j in range(len(labels)) if Y[:, j].any()]
    return {
        "macro_f1": round(float(np.mean(list(per.values()))), 3),
        "f1": per,
        "mAP": round(float(np.mean(ap)), 3),
        "support": {label: int(Y[:, j].sum()) for j, label in enumerate(labels)},
        "n": len(Y),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", nargs="+", default=["seeds/corpus/train.jsonl"])
    ap.add_argument("--dev", default="seeds/corpus/dev.jsonl")
    ap.add_argument("--eval", nargs="*", default=[], help="NAME=PATH, added to the corpus test and out-of-style sets")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--set", nargs="*", default=[], help="estimator parameters, key=value (value as JSON)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    params = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    evals = {"test": "seeds/corpus/test.jsonl", "out-of-style": "seeds/out-of-style/test.jsonl"}
    evals.update(dict(e.split("=", 1) for e in args.eval))

    X, Y = read(args.train, LABELS)
    Xd, Yd = read([args.dev], LABELS)
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30 or done == total:
            last[0] = time.perf_counter()
            print(f"  {stage} {done}/{total}", flush=True)

    t0 = time.perf_counter()
    model = TransformerClassifier(labels=LABELS, epochs=args.epochs, progress=progress, **params)
    model.fit(X, Y, Xd, Yd)
    fit_s = time.perf_counter() - t0
    result: dict[str, object] = {
        "train": args.train,
        "n_train": len(X),
        "dev": args.dev,
        "params": {k: v for k, v in model.get_params().items() if k != "progress"},
        "fit_seconds": round(fit_s, 1),
        "history": model.history_,
        "thresholds": [round(float(t), 3) for t in model.thresholds_],
        "sets": {},
    }
    for name, path in evals.items():
        Xe, Ye = read([path], LABELS)
        t = time.perf_counter()
        P = model.predict_proba(Xe)
        res = metrics(Ye, P, model.decide(P), LABELS)
        res["sentences_per_s"] = round(len(Xe) / (time.perf_counter() - t), 1)
        result["sets"][name] = res  # type: ignore[index]
        print(name, json.dumps(res), flush=True)
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
