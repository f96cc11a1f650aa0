"""Precision and recall of the sentence holder on seeds/holders/holders.jsonl, per split, for stance's
rules and (when installed: ``pip install -e ".[holders]"``) spaCy's dependency parse.

    python benchmarks/holders.py [--errors] [--split blind]

A holder counts as correct when its normalised name (``stance.holders.holder_key``) equals the
label's. Precision is over the labelled sentences given a holder, recall over those labelled with
one; "source" is the share of correct holders whose source (quote / reporting-verb / pronoun) is
right too. Sentences/s is the holder pass alone (segmentation excluded), on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stance.holders import _person_names, attribute, holder_key, load_parser, measure  # noqa: E402
from stance.segment import split_sentences  # noqa: E402

SET = ROOT / "seeds" / "holders" / "holders.jsonl"
SPLITS = ("dev", "test", "blind")


def predictor(parser: Any) -> Callable[[str], list[tuple[int, int, str | None, str | None]]]:
    def predict(text: str) -> list[tuple[int, int, str | None, str | None]]:
        sentences = split_sentences(text)
        return [(s.start, s.end, a.holder, a.source) for s, a in zip(sentences, attribute(sentences, parser=parser))]

    return predict


def errors(articles: list[dict], predict: Callable[[str], list[tuple[int, int, str | None, str | None]]]) -> list[str]:
    out = []
    for a in articles:
        got = {(st, en): (h, src) for st, en, h, src in predict(a["text"])}
        persons = _person_names(a["text"])
        gold_known = persons + [s["holder"] for s in a["sentences"] if s["holder"]]
        pred_known = persons + [h for h, _ in got.values() if h]
        for s in a["sentences"]:
            h, src = got.get((s["start"], s["end"]), (None, None))
            g = s["holder"]
            same = (h is None and g is None) or (h is not None and g is not None and holder_key(h, pred_known) == holder_key(g, gold_known))
            if not same or (g is not None and src != s["holder_source"]):
                out.append(f"  {a['id']}: gold {g!r} ({s['holder_source']}), got {h!r} ({src}): {s['text'][:90]}")
    return out


def speed(articles: list[dict], parser: Any) -> float:
    segmented = [split_sentences(a["text"]) for a in articles]
    n = sum(len(x) for x in segmented)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for sents in segmented:
            attribute(sents, parser=parser)
        best = min(best, time.perf_counter() - t0)
    return n / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list every sentence got wrong")
    ap.add_argument("--split", choices=SPLITS, help="only this split")
    args = ap.parse_args()
    articles = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]
    splits = [args.split] if args.split else list(SPLITS)
    methods: list[tuple[str, Any]] = [("rules", None)]
    parser = load_parser()
    if parser is not None:
        methods.append((f"spaCy {parser.meta['name']} {parser.meta['version']}", parser))
    else:
        print("(spaCy or its English model is not installed: rules only; pip install -e '.[holders]')\n")
    print("| method | split | labelled | given | precision | recall | F1 | source | sentences/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    wrong: dict[str, list[str]] = {}
    for name, p in methods:
        rate = speed(articles, p)
        for split in splits:
            rows = [a for a in articles if a["split"] == split]
            m = measure(rows, predictor(p))
            print(
                f"| {name} | {split} | {m['gold']} | {m['predicted']} | {m['precision']:.3f} | {m['recall']:.3f} | "
                f"{m['f1']:.3f} | {m['source_accuracy']:.3f} | {rate:,.0f} |"
            )
            if args.errors:
                wrong[f"{name}, {split}"] = errors(rows, predictor(p))
    for key, lines in wrong.items():
        print(f"\n{key}: {len(lines)} wrong")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
