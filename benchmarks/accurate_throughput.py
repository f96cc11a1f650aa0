"""Scoring speed and agreement of the accurate tier's runtimes: JAX, ONNX Runtime float32, ONNX Runtime int8.

    python benchmarks/accurate_throughput.py [MODEL_DIR] [--data JSONL] [--threads 2] [--repeats 2]
        [--batch-sizes 64 128] [--quant-variants] [--limit N] [--trust-model]

MODEL_DIR (default /tmp/models/accurate) is a fine-tuned ``model.kind = "transformer"`` model;
``--data`` (default seeds/real/test.jsonl) a JSONL of sentences (``text``; ``labels`` when present
adds macro-F1). The process is pinned to ``--threads`` cores (before JAX is imported, so XLA and ONNX
Runtime both see that many). For each runtime: one warm-up pass over all sentences (JAX compiles its
shapes; ONNX builds, quantizes and loads its graph: "setup s"), then ``--repeats`` timed passes of
``predict_proba``, taken in turns by all runtimes (sentences/s: the best pass), and the share of
sentences whose 0/1 labels (``model.decide``) all agree with JAX's, per label too, with the largest
difference of probabilities. ``--batch-sizes`` tries ONNX batch sizes,
``--quant-variants`` the int8 options (per-channel, reduce-range, outlier channels). Prints a Markdown
table and the machine's load average: on a shared machine it moves every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default="/tmp/models/accurate")
    ap.add_argument("--data", default=str(ROOT / "seeds" / "real" / "test.jsonl"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batch-sizes", type=int, nargs="*", default=[])
    ap.add_argument("--quant-variants", action="store_true")
    ap.add_argument("--runtimes", nargs="*", default=["jax", "onnx", "onnx-int8"])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--trust-model", action="store_true")
    args = ap.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, cores[: args.threads])  # before JAX or ONNX Runtime size their thread pools

    import numpy as np
    from sklearn.metrics import f1_score

    from stance import bert_onnx
    from stance.artifact import load_model

    model, manifest = load_model(args.model, args.trust_model)
    labels = list(model.labels_)
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[: args.limit] if args.limit else rows
    X = [r["text"] for r in rows]
    gold = np.array([[int(lab in (r.get("labels") or [])) for lab in labels] for r in rows]) if "labels" in rows[0] else None
    load_before = os.getloadavg()

    def fresh(runtime: str) -> object:
        copy = pickle.loads(pickle.dumps(model))  # no cached sessions or compiled functions
        return copy.set_params(runtime=runtime)

    def measure(name: str, runtime: str) -> dict[str, object]:
        m = fresh(runtime)
        t = time.perf_counter()
        P = m.predict_proba(X)  # warm-up: compilation / graph building, quantization, session
        setup = time.perf_counter() - t
        print(f"{name}: set up in {setup:.1f} s", file=sys.stderr, flush=True)
        return {"name": name, "runtime": runtime, "model": m, "setup": setup, "P": P, "D": m.decide(P), "times": []}

    results = []
    for runtime in args.runtimes:
        results.append(measure(runtime, runtime))
    for bs in args.batch_sizes:
        keep, bert_onnx.BATCH_SIZE = bert_onnx.BATCH_SIZE, bs
        for runtime in ("onnx", "onnx-int8"):
            results.append(measure(f"{runtime} batch {bs}", runtime))
        bert_onnx.BATCH_SIZE = keep
    if args.quant_variants:
        keep = bert_onnx.PER_CHANNEL, bert_onnx.REDUCE_RANGE, bert_onnx.OUTLIERS
        variants = [(pc, rr, keep[2]) for pc in (True, False) for rr in (False, True)] + [(keep[0], keep[1], k) for k in (0, 2 * keep[2])]
        for pc, rr, k in variants:
            bert_onnx.PER_CHANNEL, bert_onnx.REDUCE_RANGE, bert_onnx.OUTLIERS = pc, rr, k
            results.append(measure(f"onnx-int8 per_channel={pc} reduce_range={rr} outliers={k}", "onnx-int8"))
        bert_onnx.PER_CHANNEL, bert_onnx.REDUCE_RANGE, bert_onnx.OUTLIERS = keep
    for rep in range(args.repeats):  # round robin: a burst of load elsewhere hits every runtime alike
        for r in results:
            t = time.perf_counter()
            r["model"].predict_proba(X)
            r["times"].append(time.perf_counter() - t)
            print(f"pass {rep + 1}: {r['name']}: {len(X) / r['times'][-1]:.0f} sentences/s", file=sys.stderr, flush=True)
    for r in results:
        r["rate"] = len(X) / min(r["times"])
    load_after = os.getloadavg()

    ref = next((r for r in results if r["runtime"] == "jax"), None)
    head = "| runtime | sentences/s | setup s | labels agree with JAX (all) | " + " | ".join(labels) + " | max abs dP | macro-F1 |"
    print(f"\n{len(X)} sentences of {args.data}; model {args.model} (max_length {model.max_length}); {args.threads} cores; "
          f"ONNX batch size {bert_onnx.BATCH_SIZE}, int8 per_channel={bert_onnx.PER_CHANNEL} reduce_range={bert_onnx.REDUCE_RANGE} outliers={bert_onnx.OUTLIERS}\n")  # fmt: skip
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in results:
        cells = [r["name"], f"{r['rate']:.0f}", f"{r['setup']:.1f}"]
        if ref is not None:
            same = r["D"] == ref["D"]
            cells += [f"{100 * same.all(axis=1).mean():.2f}%"] + [f"{100 * same[:, j].mean():.2f}%" for j in range(len(labels))]
            cells += [f"{np.abs(r['P'] - ref['P']).max():.4f}"]
        else:
            cells += ["-"] * (len(labels) + 2)
        cells += [f"{f1_score(gold, r['D'], average='macro', zero_division=0):.3f}" if gold is not None else "-"]
        print("| " + " | ".join(cells) + " |")
    print(
        f"\nload average (1, 5, 15 min): before {tuple(round(v, 2) for v in load_before)}, after {tuple(round(v, 2) for v in load_after)}"
    )


if __name__ == "__main__":
    main()
