"""Build seeds/examples/outlets.jsonl, the small grouped-prevalence example of the README.

Articles are documents of the real-text corpus's TEST split (seeds/real/test.jsonl, never trained
on): the sampled sentences of one White House document, in corpus order, make one article; its
``outlet`` is the document's section and its ``date`` the document's date. Up to ``--per-cell``
documents per outlet and year (2021-2024), drawn at random with a fixed seed. Prints the true share
of each label per outlet (from the corpus labels), to set beside the estimates.

    python seeds/tools/build_outlets_example.py
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
OUTLETS = {
    "wh-press-briefings": "press briefings",
    "wh-speeches-remarks": "speeches and remarks",
    "wh-statements-releases": "statements and releases",
}
YEARS = ("2021", "2022", "2023", "2024")
LABELS = ("blame", "threat", "denial")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-cell", type=int, default=20, help="documents per outlet and year")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--out", type=Path, default=ROOT / "seeds" / "examples" / "outlets.jsonl")
    args = ap.parse_args()
    docs: dict[str, list[dict]] = defaultdict(list)
    for line in (ROOT / "seeds" / "real" / "test.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["section"] in OUTLETS and row["date"][:4] in YEARS:
            docs[row["doc"]].append(row)
    cells: dict[tuple[str, str], list[str]] = defaultdict(list)
    for doc, rows in docs.items():
        cells[(OUTLETS[rows[0]["section"]], rows[0]["date"][:4])].append(doc)
    rng = random.Random(args.seed)
    chosen = sorted(d for key in sorted(cells) for d in rng.sample(sorted(cells[key]), min(args.per_cell, len(cells[key]))))
    articles, truth = [], defaultdict(lambda: [0, {lab: 0 for lab in LABELS}])
    for k, doc in enumerate(sorted(chosen, key=lambda d: (docs[d][0]["date"], d))):
        rows = sorted(docs[doc], key=lambda r: r["id"])
        outlet = OUTLETS[rows[0]["section"]]
        articles.append(
            {
                "id": f"wh-{k:03d}",
                "outlet": outlet,
                "date": rows[0]["date"],
                "url": rows[0]["url"],
                "text": " ".join(r["text"] for r in rows),
            }
        )
        truth[outlet][0] += len(rows)
        for r in rows:
            for lab in r["labels"]:
                truth[outlet][1][lab] += 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    print(f"{len(articles)} articles, {sum(n for n, _ in truth.values())} corpus sentences -> {args.out}")
    print("| outlet | sentences | " + " | ".join(f"true {lab}" for lab in LABELS) + " |")
    for outlet, (n, counts) in sorted(truth.items()):
        print(f"| {outlet} | {n} | " + " | ".join(f"{100 * counts[lab] / n:.1f}%" for lab in LABELS) + " |")


if __name__ == "__main__":
    main()
