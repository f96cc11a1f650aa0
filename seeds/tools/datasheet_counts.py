"""Print the count tables of seeds/corpus/README.md from the split files (keeps the datasheet honest)."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path

LABELS = ["blame", "threat", "denial"]
root = Path(__file__).resolve().parent.parent / "corpus"
print("| split | sentences | blame | threat | denial | no label | 2+ labels |")
print("|---|---|---|---|---|---|---|")
allrows = []
for split in ("train", "dev", "test"):
    rows = [json.loads(line) for line in (root / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    allrows += rows
    c = Counter(lab for r in rows for lab in r["labels"])
    none = sum(not r["labels"] for r in rows)
    multi = sum(len(r["labels"]) > 1 for r in rows)
    print(f"| {split} | {len(rows)} | {c['blame']} | {c['threat']} | {c['denial']} | {none} ({100 * none / len(rows):.0f}%) | {multi} |")
c = Counter(lab for r in allrows for lab in r["labels"])
none = sum(not r["labels"] for r in allrows)
multi = sum(len(r["labels"]) > 1 for r in allrows)
print(f"| **all** | {len(allrows)} | {c['blame']} | {c['threat']} | {c['denial']} | {none} ({100 * none / len(allrows):.0f}%) | {multi} |")
print()
print("| source | sentences | blame | threat | denial | no label |")
print("|---|---|---|---|---|---|")
by = {}
for r in allrows:
    by.setdefault(r["source"], []).append(r)
for src, rows in sorted(by.items()):
    c = Counter(lab for r in rows for lab in r["labels"])
    print(f"| {src} | {len(rows)} | {c['blame']} | {c['threat']} | {c['denial']} | {sum(not r['labels'] for r in rows)} |")
words = [len(r["text"].split()) for r in allrows]
print()
print(
    f"Sentence length: median {statistics.median(words):.0f} words; {100 * sum(w > 25 for w in words) / len(words):.0f}% over 25 words; "
    f"{sum(w >= 40 for w in words)} of 40 words or more."
)
