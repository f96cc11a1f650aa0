"""Build seeds/corpus/{train,dev,test}.jsonl from the writers' passage files.

    python seeds/tools/build_corpus.py RAW.jsonl [RAW.jsonl ...] --out seeds/corpus --seed 13

Each raw line: {"doc", "text", "labels", "source"} in passage order. Steps: validate; drop exact
and near duplicates (word 3-shingle Jaccard >= 0.7) corpus-wide, so no near-copy straddles two
splits; drop anything close to the held-out seed article; split 70/15/15 by passage (a passage's
sentences stay together) with multi-label iterative stratification on which label combinations a
passage holds; add each sentence's preceding sentence as ``context``. With ``--keep-splits``, passages
already in the split files keep their split and only new passages are stratified, so growing the
corpus does not reshuffle its test split.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

LABELS = ["blame", "threat", "denial"]


def shingles(text: str, k: int = 3) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("raw", nargs="+")
    ap.add_argument("--out", default="seeds/corpus")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--seed-article", default="seeds/belarus-lukashenko-2023.txt")
    ap.add_argument(
        "--keep-splits",
        action="store_true",
        help="passages already in the split files under --out keep their split; only new passages are stratified",
    )
    args = ap.parse_args()

    records = []
    for path in args.raw:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            r = json.loads(line)
            text = " ".join(r["text"].split())
            labels = sorted(set(r["labels"]), key=LABELS.index)
            assert all(lab in LABELS for lab in labels), f"{path}:{n}: bad labels {labels}"
            records.append({"doc": r["doc"], "text": text, "labels": labels, "source": r["source"]})

    seed_sents = [shingles(s) for s in re.split(r"(?<=[.!?])\s+", Path(args.seed_article).read_text(encoding="utf-8")) if len(s) > 30]
    kept, index, dropped = [], defaultdict(list), Counter()
    seen_exact = set()
    for r in records:
        key = re.sub(r"\W+", " ", r["text"].lower()).strip()
        if key in seen_exact:
            dropped["exact duplicate"] += 1
            continue
        sh = shingles(r["text"])
        if any(jaccard(sh, s) >= 0.35 for s in seed_sents):
            dropped["close to the seed article"] += 1
            continue
        candidates = {i for g in list(sh)[:40] for i in index[g]}
        if any(jaccard(sh, kept[i][1]) >= 0.7 for i in candidates):
            dropped["near duplicate"] += 1
            continue
        seen_exact.add(key)
        for g in sh:
            index[g].append(len(kept))
        kept.append((r, sh))
    records = [r for r, _ in kept]

    # previous sentence of the same passage as context
    prev: dict[str, str] = {}
    for r in records:
        r["context"] = prev.get(r["doc"], "")
        prev[r["doc"]] = r["text"]

    kept_split: dict[str, str] = {}
    if args.keep_splits:
        for name in ("train", "dev", "test"):
            f = Path(args.out) / f"{name}.jsonl"
            if f.exists():
                for line in f.read_text(encoding="utf-8").splitlines():
                    kept_split[json.loads(line)["doc"]] = name
    docs = sorted({r["doc"] for r in records} - set(kept_split))
    by_doc = defaultdict(list)
    for r in records:
        by_doc[r["doc"]].append(r)
    split_of = {d: s for d, s in kept_split.items() if d in by_doc}
    if docs:
        combos = sorted({tuple(r["labels"]) for d in docs for r in by_doc[d] if r["labels"]})
        target = np.array(
            [[any(tuple(r["labels"]) == c for r in by_doc[d]) for c in combos] + [all(not r["labels"] for r in by_doc[d])] for d in docs],
            dtype=int,
        )
        from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

        s1 = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=0.30, random_state=args.seed)
        train_idx, rest_idx = next(s1.split(np.zeros(len(docs)), target))
        s2 = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=0.50, random_state=args.seed)
        dev_rel, test_rel = next(s2.split(np.zeros(len(rest_idx)), target[rest_idx]))
        for name, idx in (("train", train_idx), ("dev", rest_idx[dev_rel]), ("test", rest_idx[test_rel])):
            for i in idx:
                split_of[docs[i]] = name

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stats = {}
    for name in ("train", "dev", "test"):
        rows = [r for r in records if split_of[r["doc"]] == name]
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(
                    json.dumps(
                        {"text": r["text"], "labels": r["labels"], "source": r["source"], "doc": r["doc"], "context": r["context"]},
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        c = Counter(lab for r in rows for lab in r["labels"])
        stats[name] = {
            "sentences": len(rows),
            **{lab: c[lab] for lab in LABELS},
            "none": sum(not r["labels"] for r in rows),
            "multi": sum(len(r["labels"]) > 1 for r in rows),
        }
    print(json.dumps({"dropped": dropped, "splits": stats}, indent=1))


if __name__ == "__main__":
    main()
