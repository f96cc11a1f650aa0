"""Build seeds/holders/holders.jsonl from the annotated source seeds/holders/source.txt.

The source keeps one sentence per line beside its label, which is easy to write and review; the JSONL
is what tests and benchmarks read: one article per line with its text and each labelled sentence's
character span (``text[start:end] == sentence``), holder and holder source. Deterministic; run it
after editing the source and commit both.

    python seeds/tools/build_holders.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "holders"
SOURCES = {"reporting-verb", "pronoun", "quote"}


def parse(source: str) -> list[dict[str, object]]:
    """Articles from the annotated source; a malformed line raises with its line number."""
    articles: list[dict[str, object]] = []
    paragraphs: list[list[tuple[str, str | None, str | None]]] = []

    def close() -> None:
        if not articles:
            return
        text, sentences = "", []
        for p, para in enumerate(p for p in paragraphs if p):
            if p:
                text += "\n\n"
            for k, (sent, holder, src) in enumerate(para):
                if k:
                    text += " "
                sentences.append({"start": len(text), "end": len(text) + len(sent), "text": sent, "holder": holder, "holder_source": src})
                text += sent
        articles[-1]["text"] = text
        articles[-1]["sentences"] = sentences

    for n, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            continue
        if line.startswith("==="):
            close()
            head = dict(part.strip().split(": ", 1) for part in line[3:].split("|"))
            articles.append({"id": head["id"], "split": head["split"]})
            paragraphs = [[]]
            continue
        if not line:
            paragraphs.append([])
            continue
        parts = [x.strip() for x in line.split("||")]
        if len(parts) == 2 and parts[1] == "-":
            paragraphs[-1].append((parts[0], None, None))
        elif len(parts) == 3 and parts[2] in SOURCES and parts[1]:
            paragraphs[-1].append((parts[0], parts[1], parts[2]))
        else:
            raise ValueError(f"source.txt:{n}: expected 'SENTENCE || HOLDER || SOURCE' or 'SENTENCE || -': {raw!r}")
    close()
    return articles


def main() -> None:
    articles = parse((ROOT / "source.txt").read_text(encoding="utf-8"))
    lines = [json.dumps(a, ensure_ascii=False) for a in articles]
    (ROOT / "holders.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sents = [s for a in articles for s in a["sentences"]]  # type: ignore[union-attr]
    held = [s for s in sents if s["holder"]]
    print(f"{len(articles)} articles, {len(sents)} sentences, {len(held)} with a holder")


if __name__ == "__main__":
    main()
