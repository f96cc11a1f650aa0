"""Throughput of `stance score` against what a user would otherwise write or pick, in the same run.

    python benchmarks/score_throughput.py [--articles 1500] [--repeat 2] [--train-sentences 100000]
        [--folder DIR] [--skip-spacy] [--accurate MODEL_DIR] [--profile]

1. Builds two workloads from the same generated articles (or ``--folder``'s ``.txt`` files): a
   folder of small article files, and one JSONL file of ``{"id", "text"}`` articles. Articles are
   the seed article plus articles composed from seeds/corpus/*.jsonl and seeds/out-of-style sentences
   in paragraphs, some turned into attributed quotes, with page furniture (a caption printed twice
   with its credit, "Advertisement", a newsletter footer). Deterministic (``--seed``).
2. Trains, on the same training data (configs/default.toml: the written and real-text train splits):
   the default stance model; by hand, ``Pipeline(TfidfVectorizer(ngram_range=(1, 2)),
   OneVsRestClassifier(LogisticRegression(class_weight="balanced")))``; and spaCy, a blank English
   pipeline's ``textcat_multilabel`` with the bag-of-words architecture (``spacy.TextCatBOW.v3``,
   1-2-grams), 3 epochs.
3. Runs each pipeline in a fresh process of its own, end to end from the input to a JSONL file of
   sentences (process start, imports and model loading included), and reads the process's wall
   time, CPU time (workers included) and peak memory (``wait4``):
   - stance: `stance score MODEL INPUT --out FILE` as the command runs it, ``--jobs 1`` and the
     default (one worker per core; the output must be byte-identical to ``--jobs 1``);
   - by hand: pysbd sentences, one ``predict_proba`` per article, labels at 0.5, one JSON line per
     sentence;
   - spaCy: ``nlp.pipe(texts, n_process=2)`` with the sentencizer and a component that scores each
     sentence with the trained textcat model (spaCy's textcat scores whole documents), one JSON line
     per sentence.
   Best of ``--repeat`` for stance. MB/s counts the UTF-8 bytes of the article texts; peak memory
   is the main process's (workers share its pages: they are forked, by stance and by spaCy).
4. Prints where stance's time goes in one process (CPU seconds per stage: segmentation with quotes,
   holders and boilerplate, features, classifier, evidence, the JSON lines, each article's summary
   share, and adding the shares up, which is the only per-article work left to the writing process
   when workers score), the memory check
   (tracemalloc peak while streaming 2,000 articles against the size of their output), the
   training time of the default recipe on ``--train-sentences`` sentences (the shipped training
   sentences repeated, every copy after the first with one word dropped), and, with ``--accurate``,
   the sentences/s of another stance model (the accurate tier's hook: length-sorted batches).

The machine may be shared: every figure of a run is measured in that run, and the ratios and the
CPU seconds are what carries over; the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _child  # noqa: E402  (benchmarks/_child.py)

SEED_ARTICLE = ROOT / "seeds" / "belarus-lukashenko-2023.txt"
NAMES = ["Lukashenko", "Maria Alvarez", "Mr. Okafor", "Dr. Chen", "Senator Hale", "the spokesman", "Ms. Novak", "Petrov"]
VERBS = ["said", "told reporters", "added", "warned", "insisted", "said on Tuesday"]
CAPTIONS = [
    "Protesters gather outside the parliament building in the capital on Jan. 12, 2023.",
    "The minister speaks to reporters after a cabinet meeting on Monday.",
    "Rescue workers search the rubble of a damaged building in the city centre.",
]
CREDITS = ["(Jane Doe/Reuters)", "(Photo: AP)", "(Getty Images)", "(Evgeny Maloletka/Bloomberg)"]
FOOTERS = [
    "Sign up for our daily newsletter\n\nSign Up Now",
    "Subscribe to get the top news outlets' headlines delivered every morning.",
    "Advertisement",
    "Read more: the latest on the talks",
]


# ---------------------------------------------------------------------------------------------
# Articles


def _sentences() -> list[str]:
    out = []
    for path in [*sorted((ROOT / "seeds" / "corpus").glob("*.jsonl")), ROOT / "seeds" / "out-of-style" / "test.jsonl"]:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line)["text"].strip()
                if text and text[-1] in '.!?"”':
                    out.append(text)
    return out


def _quote(sentence: str, rng: random.Random) -> str:
    body = sentence.rstrip(".!?")
    if '"' in body or "“" in body:
        return sentence
    return f'"{body}," {rng.choice(NAMES)} {rng.choice(VERBS)}.'


def compose_article(pool: list[str], rng: random.Random) -> str:
    """A news-shaped article: headline, 6-16 paragraphs of 1-5 sentences, and page furniture."""
    parts = [rng.choice(pool).rstrip(".")]
    if rng.random() < 0.5:
        caption = rng.choice(CAPTIONS)
        parts += [caption, f"{caption} {rng.choice(CREDITS)}"]
    for _ in range(rng.randint(6, 16)):
        sents = [rng.choice(pool) for _ in range(rng.randint(1, 5))]
        sents = [_quote(s, rng) if rng.random() < 0.2 else s for s in sents]
        parts.append(" ".join(sents))
        if rng.random() < 0.05:
            parts.append("Advertisement")
    if rng.random() < 0.6:
        parts.append(rng.choice(FOOTERS))
    return "\n\n".join(parts) + "\n"


def write_articles(folder: Path, n: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    pool = _sentences()
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "0000-seed-article.txt"]
    paths[0].write_text(SEED_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    for i in range(1, n):
        p = folder / f"{i:04d}.txt"
        p.write_text(compose_article(pool, rng), encoding="utf-8")
        paths.append(p)
    return paths


def write_jsonl(folder: Path, path: Path) -> None:
    """The folder's articles as one JSONL file of {"id", "text"}."""
    with open(path, "w", encoding="utf-8") as fh:
        for p in sorted(folder.rglob("*.txt")):
            fh.write(json.dumps({"id": p.stem, "text": p.read_text(encoding="utf-8")}, ensure_ascii=False) + "\n")


def read_inputs(path: Path) -> Iterator[tuple[str, str]]:
    """(id, text) of a folder's .txt files or a JSONL file's lines: how the baselines read."""
    if path.is_dir():
        for p in sorted(path.rglob("*.txt")):
            yield str(p), p.read_text(encoding="utf-8")
    else:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                obj = json.loads(line)
                yield str(obj["id"]), obj["text"]


def input_mb(path: Path) -> float:
    return sum(len(text.encode("utf-8")) for _, text in read_inputs(path)) / 1e6


def train_rows() -> tuple[list[str], list[list[int]], list[str]]:
    """The default config's training sentences and 0/1 labels (what every pipeline learns from)."""
    from stance.config import load_config
    from stance.train import load_split

    cfg = load_config(ROOT / "configs" / "default.toml")
    data = load_split(cfg, "train")
    return list(data.texts), data.Y.tolist(), list(cfg.labels)


# ---------------------------------------------------------------------------------------------
# Training the three pipelines (in this process; not timed as part of scoring)


def train_stance(model_dir: Path) -> float:
    from stance.config import load_config
    from stance.train import train

    t0 = time.perf_counter()
    train(load_config(ROOT / "configs" / "default.toml"), model_dir)  # data paths are relative to the config
    return time.perf_counter() - t0


def train_by_hand(path: Path) -> float:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    texts, Y, labels = train_rows()
    t0 = time.perf_counter()
    pipe = Pipeline(
        [("tfidf", TfidfVectorizer(ngram_range=(1, 2))), ("clf", OneVsRestClassifier(LogisticRegression(class_weight="balanced")))]
    )
    pipe.fit(texts, Y)
    joblib.dump((pipe, labels), path)
    return time.perf_counter() - t0


def train_spacy(path: Path, epochs: int = 3) -> float:
    import spacy
    from spacy.training import Example
    from spacy.util import minibatch

    texts, Y, labels = train_rows()
    t0 = time.perf_counter()
    nlp = spacy.blank("en")
    config = {"model": {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False}}
    textcat = nlp.add_pipe("textcat_multilabel", config=config)
    for lab in labels:
        textcat.add_label(lab)
    examples = [Example.from_dict(nlp.make_doc(t), {"cats": {lab: float(v) for lab, v in zip(labels, y)}}) for t, y in zip(texts, Y)]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=256):
            nlp.update(batch, sgd=optimizer, drop=0.0)
    nlp.to_disk(path)
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# The pipelines, each run in a child process (python score_throughput.py --child SPEC)


def child_by_hand(spec: dict[str, Any]) -> dict[str, Any]:
    """What a careful user writes: pysbd per article, one predict_proba per article, JSON lines."""
    import joblib
    import pysbd

    pipe, labels = joblib.load(spec["model"])
    seg = pysbd.Segmenter(language="en", clean=False)
    n = 0
    with open(spec["out"], "w", encoding="utf-8") as fh:
        for art_id, text in read_inputs(Path(spec["input"])):
            sents = [s.strip() for s in seg.segment(text) if s.strip()]
            if not sents:
                continue
            P = pipe.predict_proba(sents)
            for k, (s, p) in enumerate(zip(sents, P)):
                rec = {
                    "article": art_id,
                    "sentence": k,
                    "text": s,
                    "labels": [lab for lab, x in zip(labels, p) if x >= 0.5],
                    "scores": {lab: round(float(x), 4) for lab, x in zip(labels, p)},
                }
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += len(sents)
    return {"sentences": n}


def child_spacy(spec: dict[str, Any]) -> dict[str, Any]:
    """spaCy as documented: nlp.pipe(n_process=2); a component scores each sentence with the textcat."""
    import spacy
    from spacy.language import Language

    tc_nlp = spacy.load(spec["model"])
    textcat = tc_nlp.get_pipe("textcat_multilabel")
    labels = list(textcat.labels)

    @Language.component("sentence_cats")
    def sentence_cats(doc: Any) -> Any:
        sents = list(doc.sents)
        scores = textcat.predict([s.as_doc() for s in sents]) if sents else []
        doc.user_data["cats"] = [(s.start_char, s.end_char, [float(x) for x in row]) for s, row in zip(sents, scores)]
        return doc

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("sentence_cats")
    items = read_inputs(Path(spec["input"]))
    n = 0
    with open(spec["out"], "w", encoding="utf-8") as fh:
        for doc, art_id in nlp.pipe(((text, art_id) for art_id, text in items), as_tuples=True, n_process=2, batch_size=32):
            for k, (start, end, p) in enumerate(doc.user_data["cats"]):
                rec = {
                    "article": art_id,
                    "sentence": k,
                    "text": doc.text[start:end],
                    "start": start,
                    "end": end,
                    "labels": [lab for lab, x in zip(labels, p) if x >= 0.5],
                    "scores": {lab: round(x, 4) for lab, x in zip(labels, p)},
                }
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += len(doc.user_data["cats"])
    return {"sentences": n}


def child_stance(spec: dict[str, Any]) -> dict[str, Any]:
    """`stance score MODEL INPUT --out FILE [--jobs N]`, as the command line runs it."""
    from stance.cli import main

    argv = ["stance", "-q", "score", spec["model"], spec["input"], "--out", spec["out"]]
    if spec.get("jobs") is not None:
        argv += ["--jobs", str(spec["jobs"])]
    sys.argv = argv
    try:
        main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    with open(spec["out"], "rb") as fh:
        return {"sentences": sum(1 for _ in fh)}


def child_train(spec: dict[str, Any]) -> dict[str, Any]:
    """The default recipe's fit on ``n`` sentences: the shipped ones, then copies with one word dropped."""
    from stance.config import load_config
    from stance.model import build_model
    from stance.train import load_split

    cfg = load_config(ROOT / "configs" / "default.toml")
    train, dev = load_split(cfg, "train"), load_split(cfg, "dev")
    texts, source_rows = _child.grown(train.texts, spec["n"])
    rows = train.Y[source_rows].tolist()
    import numpy as np

    model = build_model(cfg, n_jobs=spec["jobs"])
    t0 = time.perf_counter()
    F = model.features
    from sklearn.base import clone

    t_feat = time.perf_counter()
    clone(F).fit_transform(texts)
    t_feat = time.perf_counter() - t_feat
    t0 = time.perf_counter()
    model.fit(texts, np.array(rows), dev.texts, dev.Y)
    return {"sentences": len(texts), "fit_s": time.perf_counter() - t0, "features_fit_s": t_feat}


CHILDREN = {"stance": child_stance, "hand": child_by_hand, "spacy": child_spacy, "train": child_train}


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one pipeline in a fresh process; its wall time, CPU time (its workers included) and peak RSS."""
    result = _child.run_child(__file__, spec)
    result["wall"] = result.pop("seconds")
    return result


# ---------------------------------------------------------------------------------------------
# Where stance's time goes, memory, the accurate tier's hook


def stage_split(model_dir: Path, path: Path) -> dict[str, float]:
    """CPU seconds per stage of one-process scoring (model loaded), chunk by chunk as stance does it
    for a JSON-lines output: the lines rendered from the sentences and arrays, each article's summary
    share (digest) taken from the sentences' columns, and the shares added up."""
    import numpy as np

    from stance.articles import iter_articles
    from stance.artifact import load_model_cached
    from stance.records import Columns, Records, label_lists, render_jsonl
    from stance.scoring import chunks
    from stance.segment import split_sentences
    from stance.summary import ColumnDigest, Summary

    clock = time.process_time
    stages = ["segment", "features", "classify", "evidence", "JSON lines", "summary shares", "adding up"]
    t: dict[str, float] = dict.fromkeys(["read", *stages], 0.0)
    c0 = clock()
    model = load_model_cached(str(model_dir), arrays=True)  # what `stance score` loads
    model.explain(["Warm up the evidence tables."])
    t["model load (once per run)"] = clock() - c0
    labels = list(model.labels_)
    summary = Summary(labels)
    digest = ColumnDigest(labels)
    c0 = clock()
    articles = list(iter_articles([str(path)]))
    t["read"] = clock() - c0
    for chunk in chunks(articles):
        c0 = clock()
        segmented = [split_sentences(a.text) for a in chunk]
        c1 = clock()
        flat = [s.text for ss in segmented for s in ss]
        if not flat:
            continue
        F = model.transform(flat)
        c2 = clock()
        P = model.predict_proba(flat, features=F)
        D = model.decide(P)
        D[np.array([s.boilerplate for ss in segmented for s in ss])] = 0
        c3 = clock()
        rows = np.flatnonzero(D.any(axis=1))
        explained = model.explain([flat[i] for i in rows], only=D[rows], features=F[rows])
        c4 = clock()
        render_jsonl(chunk, segmented, P, D, labels, dict(zip(rows.tolist(), explained)))
        c5 = clock()
        codes, sets = label_lists(D, labels)
        flat_s = [s for ss in segmented for s in ss]
        holders, boilerplate = [s.holder for s in flat_s], [s.boilerplate for s in flat_s]
        shares, k = [], 0
        for a, ss in zip(chunk, segmented):
            n = len(ss)
            records = Records([{}] * n)
            records.columns = Columns(codes[k : k + n], sets, holders[k : k + n], boilerplate[k : k + n])
            shares.append(digest(a, records))
            k += n
        c6 = clock()
        for share in shares:
            summary.add_digest(share)
        c7 = clock()
        for key, a, b in zip(stages, [c0, c1, c2, c3, c4, c5, c6], [c1, c2, c3, c4, c5, c6, c7]):
            t[key] += b - a
    return t


def memory_check(model_dir: Path, n: int = 2000) -> tuple[int, int]:
    """tracemalloc peak while streaming n small articles to a JSONL file, and the size of all outputs."""
    import tracemalloc

    from stance.articles import Article
    from stance.artifact import load_model_cached
    from stance.fileio import jsonl_lines
    from stance.scoring import score_stream

    pool = _sentences()
    rng = random.Random(7)

    def gen() -> Iterator[Article]:
        for i in range(n):
            yield Article(f"a{i}", " ".join(rng.choice(pool) for _ in range(6)))

    load_model_cached(str(model_dir))
    total = 0
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "out.jsonl", "w", encoding="utf-8") as fh:
        tracemalloc.start()
        for _article, records in score_stream(str(model_dir), gen()):
            text = jsonl_lines(records)
            total += len(text.encode("utf-8"))
            fh.write(text)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, total


def accurate_tier(model_dir: str, batch: int = 32) -> tuple[int, float]:
    """The accurate tier's hook: a stance model's predict_proba over the real test split, in batches
    of similar length (the way a transformer tier would be fed); (sentences, seconds)."""
    from stance.artifact import load_model_cached

    with open(ROOT / "seeds" / "real" / "test.jsonl", encoding="utf-8") as fh:
        texts = sorted((json.loads(line)["text"] for line in fh), key=len)
    model = load_model_cached(model_dir)
    model.predict_proba(texts[:batch])
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch):
        model.predict_proba(texts[i : i + batch])
    return len(texts), time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _row(name: str, r: dict[str, Any], mb: float, base: float | None) -> str:
    ratio = f"{base / r['wall']:7.1f}x" if base else "      -"
    return (
        f"  {name:<30} {r['wall']:7.2f} {mb / r['wall']:7.2f} {r['sentences'] / r['wall']:9.0f} "
        f"{r['cpu']:7.2f} {mb / r['cpu']:8.2f} {r['peak_mb']:8.0f} {ratio}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=1500, help="articles to generate")
    ap.add_argument("--folder", default=None, help="score this folder of .txt articles instead of generated ones")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2, help="stance runs per setting (best is reported)")
    ap.add_argument("--train-sentences", type=int, default=100_000, help="training-time check (0: skip)")
    ap.add_argument("--skip-spacy", action="store_true", help="leave spaCy out (it is not a stance dependency)")
    ap.add_argument("--skip-hand", action="store_true", help="leave the pysbd + scikit-learn pipeline out (slow)")
    ap.add_argument("--accurate", default=None, help="a model directory of the accurate tier, timed on the real test split")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of one-process scoring")
    ap.add_argument("--checkout", default=None, help="also time `stance score` of another checkout of stance (before/after)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        spec = json.loads(args.child)
        if spec.get("checkout"):  # another checkout's stance (the version before this one, say)
            sys.path.insert(0, spec["checkout"])
        result = CHILDREN[spec["kind"]](spec)
        print(json.dumps({**result, "peak_mb": _child.peak_rss_mb()}))
        return

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores: {cores}, Python {sys.version.split()[0]}, load average {_load()} (other processes may share these cores)")
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        if args.folder:
            folder = Path(args.folder)
        else:
            folder = tmp / "articles"
            write_articles(folder, args.articles, args.seed)
        jsonl = tmp / "articles.jsonl"
        write_jsonl(folder, jsonl)
        mb = input_mb(folder)
        n_files = len(list(folder.rglob("*.txt")))

        model_dir = tmp / "model"
        print(f"trained the default stance model in {train_stance(model_dir):.1f} s", flush=True)
        print(f"trained the hand-written pipeline in {train_by_hand(tmp / 'hand.joblib'):.1f} s", flush=True)
        if not args.skip_spacy:
            print(f"trained spaCy's textcat_multilabel (bag of words, 3 epochs) in {train_spacy(tmp / 'spacy'):.1f} s", flush=True)

        for label, path in ((f"folder of {n_files} article files", folder), (f"one JSONL file of {n_files} articles", jsonl)):
            print(f"\n{label}, {mb:.2f} MB of text; load average {_load()}", flush=True)
            results: dict[str, dict[str, Any]] = {}
            for name, jobs in ((f"stance score --jobs {cores} (default)", None), ("stance score --jobs 1", 1)):
                out = tmp / f"stance-{jobs}.jsonl"
                runs = [
                    run_child({"kind": "stance", "model": str(model_dir), "input": str(path), "out": str(out), "jobs": jobs})
                    for _ in range(args.repeat)
                ]
                results[name] = min(runs, key=lambda r: r["wall"])
            same = (tmp / "stance-None.jsonl").read_bytes() == (tmp / "stance-1.jsonl").read_bytes()
            if args.checkout:
                for jobs in (1, 2):
                    spec = {"kind": "stance", "model": str(model_dir), "input": str(path), "out": str(tmp / "old.jsonl"), "jobs": jobs}
                    results[f"{Path(args.checkout).name} stance --jobs {jobs}"] = run_child({**spec, "checkout": args.checkout})
            if not args.skip_hand:
                results["by hand (pysbd + scikit-learn)"] = run_child(
                    {"kind": "hand", "model": str(tmp / "hand.joblib"), "input": str(path), "out": str(tmp / "hand.jsonl")}
                )
            if not args.skip_spacy:
                results["spaCy (n_process=2)"] = run_child(
                    {"kind": "spacy", "model": str(tmp / "spacy"), "input": str(path), "out": str(tmp / "spacy.jsonl")}
                )
            base = results.get("by hand (pysbd + scikit-learn)", {}).get("wall")
            print(
                f"  {'pipeline (own process, end to end)':<30} {'seconds':>7} {'MB/s':>7} {'sent/s':>9} {'CPU s':>7} {'MB/CPU-s':>8} {'peak MB':>8} {'vs hand':>8}"
            )
            for name, r in results.items():
                print(_row(name, r, mb, base))
            print(f"  default-jobs output byte-identical to --jobs 1: {same}; load average now {_load()}", flush=True)

        print("\nwhere one stance process spends its CPU (folder workload, model loaded):")
        split = stage_split(model_dir, folder)
        busy = sum(v for k, v in split.items() if k != "model load (once per run)")
        for stage, secs in split.items():
            rate = f"{mb / secs:8.1f} MB/CPU-s" if secs and stage != "model load (once per run)" else ""
            print(f"  {stage:<28} {secs:6.2f} s {rate}")
        print(f"  {'all stages':<28} {busy:6.2f} s {mb / busy:8.1f} MB/CPU-s")

        peak, total = memory_check(model_dir)
        print(f"\nmemory: streaming 2,000 articles peaked at {peak / 1e6:.1f} MB traced; their output is {total / 1e6:.1f} MB")

        if args.train_sentences:
            r = run_child({"kind": "train", "n": args.train_sentences, "jobs": cores})
            print(
                f"\ntraining the default recipe on {r['sentences']:,} sentences with {cores} jobs: fit {r['fit_s']:.1f} s "
                f"(of which the TF-IDF vocabulary about {r['features_fit_s']:.1f} s), process CPU {r['cpu']:.1f} s, "
                f"peak {r['peak_mb']:.0f} MB; load average {_load()}"
            )
        if args.accurate:
            n, secs = accurate_tier(args.accurate)
            print(f"\naccurate tier {args.accurate}: {n} real test sentences in {secs:.1f} s, {n / secs:.0f} sentences/s")

        if args.profile:
            import cProfile
            import pstats

            from stance.artifact import load_model_cached
            from stance.batch import run_scoring

            load_model_cached(str(model_dir))
            prof = cProfile.Profile()
            prof.enable()
            run_scoring(str(model_dir), [str(folder)], str(tmp / "prof.jsonl"), jobs=1)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
