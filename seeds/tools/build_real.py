"""Build ``seeds/real/`` from the drawn sample and its two labelling passes plus adjudication.

    python seeds/tools/build_real.py --pool POOL.jsonl [POOL2.jsonl] --pass-a DIR [DIR2] --pass-b DIR [DIR2] \
        [--adjudicated FILE] --out seeds/real

Each ``POOL.jsonl`` comes from ``sample_real.py`` (one per sampling round). Each pass folder holds ``*/batch_*.tsv`` files of
``id<TAB>label,label`` lines written by one annotator who never saw the other pass. ``--adjudicated``
is a TSV of ``id<TAB>labels`` for the sentences the passes disagreed on. Without it, disagreements
are written to ``OUT/disagreements.jsonl`` for adjudication and nothing else is built.

Writes ``annotations.jsonl`` (both passes and the final labels, per id), the splits ``train.jsonl``,
``dev.jsonl`` and ``test.jsonl`` (assigned **by document**, stratified by genre: no document has
sentences in two splits) and prints Cohen's kappa per label and the split counts for the datasheet.

With ``--append``, ``OUT`` already holds the corpus: its rows and annotations are kept as they are, the
new round's sentences that repeat one of them are dropped, and the new documents are assigned to splits
(a later round, such as the Wikinews news round, never moves an earlier row between splits).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LABELS = ("blame", "threat", "denial")
SHARES = {"train": 0.62, "dev": 0.16, "test": 0.22}


def read_pass(folder: Path) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(folder.rglob("batch_*.tsv")):
        out.update(read_pass_file(path))
    return out


def read_pass_file(path: Path) -> dict[str, tuple[str, ...]]:
    """``id<TAB>label,label`` lines; an unknown label stops the build with the file and line."""
    out: dict[str, tuple[str, ...]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        rid, _, labs = line.partition("\t")
        given = {x.strip() for x in labs.split(",") if x.strip()}
        if given - set(LABELS):
            sys.exit(f"{path}:{n}: unknown label(s) {sorted(given - set(LABELS))}")
        out[rid.strip()] = tuple(lab for lab in LABELS if lab in given)
    return out


def _read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def kappa(a: list[tuple[str, ...]], b: list[tuple[str, ...]], label: str) -> float:
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score([label in x for x in a], [label in x for x in b]))


def assign_splits(rows: list[dict], seed: int) -> dict[str, str]:
    """Documents to splits, genre by genre, filling each split to its share of sentences."""
    rng = random.Random(seed)
    docs_by_section: dict[str, dict[str, int]] = defaultdict(Counter)
    for r in rows:
        docs_by_section[r["section"]][r["doc"]] += 1
    where: dict[str, str] = {}
    for section in sorted(docs_by_section):
        docs = sorted(docs_by_section[section].items())
        rng.shuffle(docs)
        total = sum(n for _, n in docs)
        filled = Counter()
        for doc, n in docs:
            split = min(SHARES, key=lambda s: filled[s] / (SHARES[s] * total))
            where[doc] = split
            filled[split] += n
    return where


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=Path, nargs="+", required=True)
    ap.add_argument("--pass-a", type=Path, nargs="+", required=True)
    ap.add_argument("--pass-b", type=Path, nargs="+", required=True)
    ap.add_argument("--adjudicated", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--append", action="store_true", help="add this round to the corpus already in OUT")
    ap.add_argument(
        "--written", type=Path, default=Path("seeds/corpus"), help="the written corpus, whose sentences are never repeated here"
    )
    args = ap.parse_args()

    pool = [r for p in args.pool for r in _read_rows(p)]
    a = {k: v for d in args.pass_a for k, v in read_pass(d).items()}
    b = {k: v for d in args.pass_b for k, v in read_pass(d).items()}
    labelled = [r for r in pool if r["id"] in a and r["id"] in b]
    missing = len(pool) - len(labelled)
    print(f"{len(labelled)} sentences labelled by both passes ({missing} not)", file=sys.stderr)
    # The same sentence can recur across documents (stock phrases of statements); keep its first
    # occurrence only, and nothing the written corpus holds, so no text can sit in two splits.
    seen = {_norm(r["text"]) for p in args.written.glob("*.jsonl") for r in _read_rows(p)}
    old_rows = {s: _read_rows(args.out / f"{s}.jsonl") for s in SHARES} if args.append else {s: [] for s in SHARES}
    old_ann = _read_rows(args.out / "annotations.jsonl") if args.append else []
    seen |= {_norm(r["text"]) for rows in old_rows.values() for r in rows}
    unique = []
    for r in labelled:
        if _norm(r["text"]) not in seen:
            seen.add(_norm(r["text"]))
            unique.append(r)
    print(f"{len(labelled) - len(unique)} repeated sentences dropped", file=sys.stderr)
    labelled = unique
    pa = [a[r["id"]] for r in labelled]
    pb = [b[r["id"]] for r in labelled]
    print("| label | Cohen's kappa | agreement | pass A | pass B |\n|---|---|---|---|---|", file=sys.stderr)
    for lab in LABELS:
        agree = sum((lab in x) == (lab in y) for x, y in zip(pa, pb)) / len(pa)
        print(
            f"| {lab} | {kappa(pa, pb, lab):.2f} | {agree:.1%} | {sum(lab in x for x in pa)} | {sum(lab in x for x in pb)} |",
            file=sys.stderr,
        )
    disagree = [r for r, x, y in zip(labelled, pa, pb) if x != y]
    print(f"{len(disagree)} disagreements", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.adjudicated:
        with open(args.out / "disagreements.jsonl", "w", encoding="utf-8") as fh:
            for r in disagree:
                fh.write(
                    json.dumps({"id": r["id"], "context": r["context"], "text": r["text"], "pass_a": a[r["id"]], "pass_b": b[r["id"]]})
                    + "\n"
                )
        print(f"wrote {args.out / 'disagreements.jsonl'}; adjudicate, then run again with --adjudicated", file=sys.stderr)
        return
    adjudicated = read_pass_file(args.adjudicated)
    unresolved = [r["id"] for r in disagree if r["id"] not in adjudicated]
    if unresolved:
        sys.exit(f"{len(unresolved)} disagreements are not adjudicated, e.g. {unresolved[:5]}")

    final: dict[str, tuple[str, ...]] = {}
    with open(args.out / "annotations.jsonl", "w", encoding="utf-8") as fh:
        for old in old_ann:
            fh.write(json.dumps(old) + "\n")
        for r in labelled:
            rid = r["id"]
            agreed = a[rid] == b[rid]
            final[rid] = a[rid] if agreed else adjudicated[rid]
            fh.write(
                json.dumps(
                    {"id": rid, "pass_a": list(a[rid]), "pass_b": list(b[rid]), "final": list(final[rid]), "adjudicated": not agreed}
                )
                + "\n"
            )

    where = assign_splits(labelled, args.seed)
    # A document an earlier round placed keeps its split (its new sentences join it there).
    where |= {r["doc"]: split for split, rows in old_rows.items() for r in rows}
    keep = ("id", "text", "labels", "context", "source", "doc", "date", "url", "licence", "section", "stratum")
    counts: dict[str, Counter] = defaultdict(Counter)
    for split in SHARES:
        with open(args.out / f"{split}.jsonl", "w", encoding="utf-8") as fh:
            for row in old_rows[split]:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            for r in labelled:
                if where[r["doc"]] != split:
                    continue
                row = dict(r, labels=list(final[r["id"]]))
                fh.write(json.dumps({k: row[k] for k in keep}, ensure_ascii=False) + "\n")
                c = counts[split]
                c["sentences"] += 1
                c["docs:" + r["doc"]] = 1
                for lab in row["labels"]:
                    c[lab] += 1
                c["none"] += not row["labels"]
                c["multi"] += len(row["labels"]) > 1
    by_part: dict[str, Counter] = defaultdict(Counter)
    for r in labelled:
        for key in (r["section"], "stratum: " + r["stratum"]):
            by_part[key]["sentences"] += 1
            by_part[key]["none"] += not final[r["id"]]
            for lab in final[r["id"]]:
                by_part[key][lab] += 1
    print("| part | sentences | blame | threat | denial | no label |\n|---|---|---|---|---|---|", file=sys.stderr)
    for key in sorted(by_part, key=lambda k: (k.startswith("stratum"), k)):
        c = by_part[key]
        print(
            f"| {key} | {c['sentences']} | {c['blame']} | {c['threat']} | {c['denial']} | {c['none']} ({c['none'] / c['sentences']:.0%}) |",
            file=sys.stderr,
        )
    print(
        "| split | sentences | documents | blame | threat | denial | no label | 2+ labels |\n|---|---|---|---|---|---|---|---|",
        file=sys.stderr,
    )
    for split, c in counts.items():
        docs = sum(1 for k in c if k.startswith("docs:"))
        print(
            f"| {split} | {c['sentences']} | {docs} | {c['blame']} | {c['threat']} | {c['denial']} | {c['none']} ({c['none'] / c['sentences']:.0%}) | {c['multi']} |",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
