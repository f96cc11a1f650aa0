"""Throughput of `stance score` against what a user would write by hand, measured in the same run.

    python benchmarks/score_throughput.py [--articles 400] [--folder DIR] [--repeat 3] [--profile]

1. Builds a folder of articles (or takes ``--folder``): the seed article plus articles composed from
   seeds/corpus/*.jsonl and seeds/out-of-style/test.jsonl sentences in paragraphs, some turned into
   attributed quotes, with page furniture (a caption printed twice with its credit, "Advertisement",
   a newsletter footer). Deterministic (``--seed``).
2. Trains the default model (configs/default.toml) with stance into a temporary folder.
3. Times, end to end from the folder to a JSONL file:
   - stance: :func:`stance.batch.run_scoring` with jobs=1 and jobs=2, each run cold (model verified
     and loaded, worker processes started, as one `stance score` command does); best of ``--repeat``;
   - by hand: pysbd segmentation + ``Pipeline(TfidfVectorizer(ngram_range=(1, 2)),
     OneVsRestClassifier(LogisticRegression(class_weight="balanced")))`` trained on the same train split,
     ``predict_proba`` over each article's sentences (one call per article, the faster way to write
     it than one call per sentence), labels at 0.5, one JSON line per sentence.
4. Prints MB/s of input text (UTF-8 bytes of the files) for each, the ratio stance / by hand, the split
   of stance's time (reading, segmentation, features, model, evidence, records, JSON), the memory
   check (tracemalloc peak while streaming 2,000 articles against the size of all their outputs)
   and the label agreement between the two on the seed article's sentences where both segmenters
   cut the same sentence.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


# ---------------------------------------------------------------------------------------------
# The two pipelines


def train_stance(model_dir: Path) -> float:
    from stance.config import load_config
    from stance.train import train

    t0 = time.perf_counter()
    train(load_config(ROOT / "configs" / "default.toml"), model_dir)  # data paths are relative to the config
    return time.perf_counter() - t0


def time_stance(model_dir: Path, folder: Path, out: Path, jobs: int) -> float:
    """One cold run, as `stance score` makes it: model verified and loaded, worker processes started."""
    from joblib.externals.loky import get_reusable_executor

    from stance import artifact
    from stance.batch import run_scoring

    artifact._load_cached.cache_clear()
    get_reusable_executor().shutdown(wait=True)  # no warm workers holding a loaded model
    t0 = time.perf_counter()
    run_scoring(str(model_dir), [str(folder)], str(out), jobs=jobs)
    return time.perf_counter() - t0


def train_by_hand(labels: list[str]) -> object:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    with open(ROOT / "seeds" / "corpus" / "train.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    Y = [[int(lab in r["labels"]) for lab in labels] for r in rows]
    pipe = Pipeline(
        [("tfidf", TfidfVectorizer(ngram_range=(1, 2))), ("clf", OneVsRestClassifier(LogisticRegression(class_weight="balanced")))]
    )
    return pipe.fit([r["text"] for r in rows], Y)


def run_by_hand(pipe: object, labels: list[str], folder: Path, out: Path) -> float:
    """What a careful user writes: pysbd per article, one predict_proba per article, JSON lines."""
    import pysbd

    t0 = time.perf_counter()
    seg = pysbd.Segmenter(language="en", clean=False)
    with open(out, "w", encoding="utf-8") as fh:
        for path in sorted(folder.rglob("*.txt")):
            text = path.read_text(encoding="utf-8")
            sents = [s.strip() for s in seg.segment(text) if s.strip()]
            if not sents:
                continue
            P = pipe.predict_proba(sents)  # type: ignore[attr-defined]
            for n, (s, p) in enumerate(zip(sents, P)):
                rec = {
                    "article": str(path),
                    "sentence": n,
                    "text": s,
                    "labels": [lab for lab, x in zip(labels, p) if x >= 0.5],
                    "scores": {lab: round(float(x), 4) for lab, x in zip(labels, p)},
                }
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# Where stance's time goes, memory, agreement


def time_split(model_dir: Path, folder: Path) -> dict[str, float]:
    """Seconds per stage of single-process scoring, measured stage by stage over the whole folder."""
    import stance.scoring as score
    from stance.articles import iter_articles
    from stance.artifact import load_model_cached
    from stance.fileio import jsonl_lines
    from stance.segment import split_sentences
    from stance.summary import Summary

    model = load_model_cached(str(model_dir))
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    articles = list(iter_articles([str(folder)]))
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    segmented = [split_sentences(a.text) for a in articles]
    t["segmentation"] = time.perf_counter() - t0
    flat = [s.text for ss in segmented for s in ss]
    t0 = time.perf_counter()
    P = model.predict_proba(flat)
    t["features + model"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    D = model.decide(P)
    rows = [i for i, d in enumerate(D) if d.any()]
    model.explain([flat[i] for i in rows], top_k=5, only=D[rows])
    t["evidence (labelled sentences)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = [
        recs
        for i in range(0, len(articles), score.CHUNK_ARTICLES)
        for recs in score.score_texts(model, articles[i : i + score.CHUNK_ARTICLES])
    ]
    t["score_texts (all of the above but reading)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = Summary(list(model.labels_))
    for a, recs in zip(articles, results):
        summary.add(a, recs)
    t["summary"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for recs in results:
        jsonl_lines(recs)
    t["json"] = time.perf_counter() - t0
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

    def gen():  # noqa: ANN202
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


def agreement(stance_out: Path, hand_out: Path) -> tuple[int, int, int, list[tuple[str, list[str], list[str]]]]:
    def seed_rows(path: Path) -> dict[str, list[str]]:
        rows = {}
        with open(path, encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh]
        for r in records:
            if "0000-seed-article" in r["article"] and not r.get("boilerplate"):
                rows[r["text"].strip()] = r["labels"]
        return rows

    a, b = seed_rows(stance_out), seed_rows(hand_out)
    common = [t for t in a if t in b]
    diffs = [(t, a[t], b[t]) for t in common if a[t] != b[t]]
    return len(a), len(common), len(common) - len(diffs), diffs


# ---------------------------------------------------------------------------------------------


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=400, help="articles to generate (at least 300 for the issue's measure)")
    ap.add_argument("--folder", default=None, help="score this folder of .txt articles instead of generated ones")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="stance runs per setting (best is reported)")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of one jobs=1 run")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        if args.folder:
            folder = Path(args.folder)
        else:
            folder = tmp / "articles"
            write_articles(folder, args.articles, args.seed)
        files = sorted(folder.rglob("*.txt"))
        mb = sum(p.stat().st_size for p in files) / 1e6
        print(f"{len(files)} articles, {mb:.2f} MB of text in {folder}")
        print(
            f"cores: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}, "
            f"Python {sys.version.split()[0]}, load average {_load()} (other processes share these cores)"
        )

        model_dir = tmp / "model"
        print(f"trained the default model in {train_stance(model_dir):.1f} s")
        labels = json.loads((model_dir / "manifest.json").read_text())["labels"]

        results: dict[str, float] = {}
        for jobs in (1, 2):
            out = tmp / f"stance-{jobs}.jsonl"
            results[f"stance jobs={jobs}"] = min(time_stance(model_dir, folder, out, jobs) for _ in range(args.repeat))
        same = (tmp / "stance-1.jsonl").read_bytes() == (tmp / "stance-2.jsonl").read_bytes()

        t0 = time.perf_counter()
        pipe = train_by_hand(labels)
        print(f"trained the hand-written pipeline in {time.perf_counter() - t0:.1f} s")
        results["by hand (pysbd + sklearn)"] = run_by_hand(pipe, labels, folder, tmp / "hand.jsonl")

        print()
        print(f"{'pipeline':<28} {'seconds':>8} {'MB/s':>8}")
        for name, secs in results.items():
            print(f"{name:<28} {secs:8.2f} {mb / secs:8.2f}")
        hand = results["by hand (pysbd + sklearn)"]
        for jobs in (1, 2):
            print(f"ratio stance jobs={jobs} / by hand: {hand / results[f'stance jobs={jobs}']:.1f}x")
        print(f"jobs=2 output identical to jobs=1: {same}; load average now {_load()}")

        print("\nwhere stance's time goes (jobs=1, stage by stage):")
        for stage, secs in time_split(model_dir, folder).items():
            print(f"  {stage:<44} {secs:6.2f} s  {mb / secs if secs else float('inf'):8.1f} MB/s")

        peak, total = memory_check(model_dir)
        print(f"\nmemory: streaming 2,000 articles peaked at {peak / 1e6:.1f} MB traced; their output is {total / 1e6:.1f} MB")

        n_stance, n_common, n_same, diffs = agreement(tmp / "stance-1.jsonl", tmp / "hand.jsonl")
        print(
            f"\nseed article: {n_common} of {n_stance} content sentences cut identically by both segmenters; "
            f"same labels on {n_same} of {n_common} ({100 * n_same / max(n_common, 1):.0f}%)"
        )
        for text, a, b in diffs:
            print(f"  stance {a or '-'} vs by hand {b or '-'}: {text[:90]}")

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
            pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
