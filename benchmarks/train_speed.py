"""Training time of the default recipe on 100,000 sentences, against the plain scikit-learn pipeline a
user would write, in the same run.

    python benchmarks/train_speed.py [--sentences 100000] [--jobs N] [--skip-jobs1] [--skip-plain] [--profile]
        [--checkout DIR]

1. Builds the training sentences from the shipped data: the default config's training splits
   (seeds/corpus/train.jsonl and seeds/real/train.jsonl), then copies of them, every copy with one
   word dropped (so that the texts differ), until there are ``--sentences``; labels are the
   originals'. Deterministic.
2. Trains, each in a fresh process of its own, reading its wall time, CPU time (its worker processes
   included) and peak memory (the main process's):
   - stance: ``stance.train.fit_model`` with configs/default.toml (TF-IDF word and stem 1-2-grams,
     liblinear at C = 16 per label, thresholds on the real dev split), ``--jobs`` as ``stance train``
     has it by default (one per core), then with ``--jobs 1``; split by stage: the feature fit, the
     per-label liblinear fits, the dev predictions and thresholds (the rest of ``fit``); with
     ``--checkout DIR``, also another checkout's stance (the code before this work, say) with ``--jobs 2``;
   - by hand: ``Pipeline(TfidfVectorizer(ngram_range=(1, 2)),
     OneVsRestClassifier(LogisticRegression(class_weight="balanced")))``, scikit-learn's defaults.
3. Checks that both stance runs predict the same probabilities, to the bit, on the real test split.

The machine may be shared: every figure of a run is measured in that run, and the ratios and the
CPU seconds are what carries over; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _child  # noqa: E402  (benchmarks/_child.py)

CONFIG = ROOT / "configs" / "default.toml"


def training_sentences(n: int) -> tuple[Any, Any, Any]:
    """The config's training sentences, then copies with one word dropped, ``n`` in all; dev; test."""
    import numpy as np

    from stance.config import load_config
    from stance.data import LabelledData, load_split

    cfg = load_config(CONFIG)
    train, dev, test = (load_split(cfg, s) for s in ("train", "dev", "test"))
    texts, rows = _child.grown(train.texts, n)
    data = LabelledData(texts=texts, Y=train.Y[np.array(rows)], labels=train.labels, source=f"{n} sentences")
    return cfg, data, (dev, test)


def child_stance(spec: dict[str, Any]) -> dict[str, Any]:
    """``fit_model`` of the default config, timed by stage (wall and this process's CPU seconds)."""
    if spec.get("checkout"):  # another checkout's stance
        sys.path.insert(0, spec["checkout"])
    import numpy as np
    from sklearn.multiclass import OneVsRestClassifier

    import stance.model
    from stance.features import TextFeatures
    from stance.train import fit_model

    cfg, data, (dev, test) = training_sentences(spec["n"])
    stages: dict[str, list[float]] = {}

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            w, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                acc = stages.setdefault(name, [0.0, 0.0])
                acc[0] += time.perf_counter() - w
                acc[1] += time.process_time() - c

        return wrapper

    TextFeatures.fit_transform = timed("feature fit (TF-IDF vocabularies, idf, matrix)", TextFeatures.fit_transform)
    if hasattr(stance.model, "fit_ovr"):
        stance.model.fit_ovr = timed("liblinear fits (one per label)", stance.model.fit_ovr)
    else:  # before stance.soft.fit_ovr
        OneVsRestClassifier.fit = timed("liblinear fits (one per label)", OneVsRestClassifier.fit)
    profiler = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    w, c = time.perf_counter(), time.process_time()
    model, _ = fit_model(cfg, data, dev, n_jobs=spec["jobs"])
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    rest = [wall - sum(s[0] for s in stages.values()), cpu - sum(s[1] for s in stages.values())]
    stages["dev predictions + thresholds (the rest of fit)"] = rest
    np.save(spec["proba"], model.predict_proba(test.texts))
    return {"sentences": len(data), "fit_s": wall, "fit_cpu_s": cpu, "stages": stages, "features": int(model.features_.n_features_out_)}


def child_plain(spec: dict[str, Any]) -> dict[str, Any]:
    """The pipeline a user would write with scikit-learn's defaults, timed by stage."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    _cfg, data, _ = training_sentences(spec["n"])
    pipe = Pipeline(
        [("tfidf", TfidfVectorizer(ngram_range=(1, 2))), ("clf", OneVsRestClassifier(LogisticRegression(class_weight="balanced")))]
    )
    w, c = time.perf_counter(), time.process_time()
    F = pipe.named_steps["tfidf"].fit_transform(data.texts)
    w1, c1 = time.perf_counter(), time.process_time()
    pipe.named_steps["clf"].fit(F, data.Y)
    w2, c2 = time.perf_counter(), time.process_time()
    stages = {"TfidfVectorizer fit": [w1 - w, c1 - c], "LogisticRegression (lbfgs) fits": [w2 - w1, c2 - c1]}
    return {"sentences": len(data), "fit_s": w2 - w, "fit_cpu_s": c2 - c, "stages": stages, "features": int(F.shape[1])}


CHILDREN = {"stance": child_stance, "plain": child_plain}


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """One training in a fresh process: its wall time, CPU time (its reaped workers included), peak RSS."""
    result = _child.run_child(__file__, spec)
    result["process_s"] = result.pop("seconds")
    return result


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=100_000)
    ap.add_argument("--jobs", type=int, default=None, help="stance's per-label processes (default: as stance train, one per core)")
    ap.add_argument("--skip-jobs1", action="store_true", help="leave out the --jobs 1 run (and the check against it)")
    ap.add_argument("--skip-plain", action="store_true", help="leave out the plain scikit-learn pipeline")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of stance's fit (stderr)")
    ap.add_argument("--checkout", default=None, help="also time another checkout of stance (--jobs 2)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        spec = json.loads(args.child)
        result = CHILDREN[spec["kind"]](spec)
        print(json.dumps({**result, "peak_mb": _child.peak_rss_mb()}))
        return

    from stance.scoring import default_jobs

    jobs = args.jobs or default_jobs()
    print(f"cores: {default_jobs()}, Python {sys.version.split()[0]}, load average {_load()} (other processes may share these cores)")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(f"stance --jobs {jobs}", jobs)] + ([] if args.skip_jobs1 or jobs == 1 else [("stance --jobs 1", 1)])
        for name, j in runs:
            spec = {"kind": "stance", "n": args.sentences, "jobs": j, "proba": f"{tmp}/p{j}.npy", "profile": args.profile and j == jobs}
            results[name] = run_child(spec)
            print(f"{name}: {results[name]['fit_s']:.1f} s; load average {_load()}", flush=True)
        if args.checkout:
            name = f"{Path(args.checkout).name} --jobs 2"
            spec = {
                "kind": "stance",
                "n": args.sentences,
                "jobs": 2,
                "proba": f"{tmp}/old.npy",
                "checkout": str(Path(args.checkout).resolve()),
            }
            results[name] = run_child(spec)
            print(f"{name}: {results[name]['fit_s']:.1f} s; load average {_load()}", flush=True)
        same = old_same = None
        if len(runs) > 1:
            same = Path(f"{tmp}/p{jobs}.npy").read_bytes() == Path(f"{tmp}/p1.npy").read_bytes()
        if args.checkout:
            old_same = Path(f"{tmp}/p{jobs}.npy").read_bytes() == Path(f"{tmp}/old.npy").read_bytes()
    if not args.skip_plain:
        results["plain scikit-learn pipeline"] = run_child({"kind": "plain", "n": args.sentences})
    base = results.get("plain scikit-learn pipeline", {}).get("fit_s")

    print(f"\ntraining on {args.sentences:,} sentences (fit only: data building and imports left out)")
    print(f"  {'pipeline':<30} {'wall s':>7} {'CPU s':>7} {'CPU s*':>7} {'peak MB':>8} {'columns':>9} {'vs plain':>9}")
    for name, r in results.items():
        ratio = f"{r['fit_s'] / base:8.2f}x" if base else "        -"
        print(f"  {name:<30} {r['fit_s']:7.1f} {r['fit_cpu_s']:7.1f} {r['cpu']:7.1f} {r['peak_mb']:8.0f} {r['features']:9,} {ratio}")
        for stage, (w, c) in r["stages"].items():
            print(f"      {stage:<48} {w:6.1f} s wall {c:6.1f} s CPU (main process)")
    print("  CPU s: the fitting process's own; CPU s*: the whole child process, its workers and data building included")
    if same is not None:
        print(f"  stance --jobs {jobs} predicts the same test-split probabilities as --jobs 1, to the bit: {same}")
    if old_same is not None:
        print(f"  and the same as {Path(args.checkout).name} --jobs 2: {old_same}")
    print(f"load average now {_load()}")


if __name__ == "__main__":
    main()
