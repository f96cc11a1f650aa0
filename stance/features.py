"""Sentence -> feature matrix: word and character n-grams (TF-IDF or hashed), construction cues,
and optionally sentence embeddings; each part can say which n-gram a column stands for, so the
scorer can show evidence.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.utils import murmurhash3_32

from stance.config import FeaturesConfig

# Words with apostrophes and hyphens stay whole ("didn't", "cease-fire"); question and exclamation
# marks are tokens. Quotation marks are not: in a news corpus they mark where stances are quoted,
# and a model that learns them fails on speeches, columns and posts, which quote nothing.
TOKEN_PATTERN = r"(?u)\b\w[\w'’-]*\w\b|\b\w\b|[?!]"

# ---------------------------------------------------------------------------------------------
# Construction cues: patterns over the sentence that name *what is being done* (accusing, threatening,
# denying) rather than the topic, so they carry across outlets and subjects. Each fires 0/1.

_AGENT = r"(?:he|she|they|we|you|i|it|the \w+(?: \w+)?|[A-Z][\w-]+(?: [A-Z][\w-]+)*)"
_HARM = (
    r"(?:pay|regret|suffer|face|answer|be punished|be crushed|be destroyed|be held accountable|be sorry|"
    r"retaliate|respond|strike|hit back|crush|destroy|punish|sue|cut off|shut down|expel|sanction|ban|"
    r"fire|sack|walk out|strike|blockade|seize|annihilate|wipe|bury|burn|see what happens)"
)
CONSTRUCTIONS: dict[str, str] = {
    # blame
    "blame_verb_agent": r"\b(?:accus\w*|blam\w*|fault\w*|charg\w+ that|condemn\w*|denounc\w*)\b.{0,40}\b(?:for|of)\b",
    "blame_responsible": r"\b(?:responsible for|responsibility for|to blame|fault|culprit|guilty of|behind the)\b",
    "blame_cause_agent": r"\b(?:provok\w*|caus\w*|orchestrat\w*|engineer\w*|sabotag\w*|incit\w*|stok\w*|fuel\w*|triggered|betray\w*)\b",
    "blame_failure": r"\b(?:failed to|failure to|negligen\w*|incompeten\w*|mismanag\w*|reckless\w*|cover[- ]up|let (?:this|it) happen)\b",
    "blame_counterfactual": r"\b(?:had (?:they|he|she|you|the \w+)\b.{0,60}\b(?:would|could)(?: not)? have|if (?:only )?(?:they|he|she|you) had)\b",
    "blame_thanks_to": r"\b(?:thanks to|because of) (?:the |their |his |her |this )?(?:government|regime|ministry|leadership|management|board|president|minister|party|opposition|west|they|them)\b",
    "blame_you_are": r"\b(?:you are|you're|they are|they're) (?:\w+ing)\b",
    # threat
    "threat_conditional_harm": rf"\b(?:if|should|unless|once)\b.{{0,80}}\b(?:will|would|shall|'ll)\b.{{0,25}}\b{_HARM}\b",
    "threat_unless": r"\b(?:unless|or else|otherwise)\b",
    "threat_will_harm": rf"\b(?:will|shall|'ll|going to|would)\b(?: \w+){{0,2}} {_HARM}\b",
    "threat_verb": r"\b(?:threat\w*|vow\w*|ultimatum|warn\w* (?:that )?(?:anyone|those|any|they|he|she|it|we|the \w+) (?:would|will|could)|will not hesitate|all options|consequences|retaliat\w*|revenge|reprisal\w*)\b",
    "threat_ready_force": r"\b(?:ready|prepared|willing) to (?:fight|strike|use force|respond|act|retaliate|take \w+ measures)\b",
    "threat_addressee": r"\b(?:anyone who|whoever|those who)\b.{0,60}\b(?:will|would|shall)\b",
    "forecast_risk": r"\b(?:could|may|might|risk\w*|likely|expected to|forecast\w*|predict\w*)\b",
    # denial
    "denial_verb": r"\b(?:den(?:y|ied|ies|ying|ial)|reject\w* (?:the |any |all |these |those )?(?:claim|allegation|accusation|charge|report|suggestion)s?|refut\w*|dismiss\w* .{0,40}\bas\b)\b",
    "denial_false": r"\b(?:false|untrue|fabricat\w*|baseless|unfounded|groundless|lies|lie|hoax|fake|nonsense|smear|slander|made[- ]up|fiction|propaganda|myth|no truth|no evidence|no basis)\b",
    "denial_no_event": r"\b(?:there (?:was|were|is|are|has been|have been) no|never (?:happened|took place|existed)|did not (?:happen|take place|occur)|no such)\b",
    "denial_not_a": r"\b(?:it is|it's|this is|that is|that's|it was|this was) not (?:a|an)\b",
    "denial_nothing_to_do": r"\b(?:nothing to do with|no (?:role|part|involvement|connection|link) in|not involved|no responsibility|not responsible|innocent|not guilty|never (?:received|took|ordered|said|paid|knew|met))\b",
    "refusal_or_no_comment": r"\b(?:declin\w* to|refus\w* to|did not (?:respond|reply|return)|no comment|could not be reached|would not comment)\b",
}
_COMPILED = [(name, re.compile(pat, re.IGNORECASE)) for name, pat in CONSTRUCTIONS.items()]
# Cheap prefilter: a construction's regex runs only when one of its trigger stems occurs, which
# makes cue extraction several times faster on ordinary sentences (most carry no cue at all).
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "blame_verb_agent": ("accus", "blam", "fault", "charg", "condemn", "denounc"),
    "blame_responsible": ("responsib", "blame", "fault", "culprit", "guilty", "behind"),
    "blame_cause_agent": ("provok", "caus", "orchestrat", "engineer", "sabotag", "incit", "stok", "fuel", "triggered", "betray"),
    "blame_failure": ("failed", "failure", "negligen", "incompeten", "mismanag", "reckless", "cover", "let"),
    "blame_counterfactual": ("had",),
    "blame_thanks_to": ("thanks", "because"),
    "blame_you_are": ("you", "they"),
    "threat_conditional_harm": ("if", "should", "unless", "once"),
    "threat_unless": ("unless", "else", "otherwise"),
    "threat_will_harm": ("will", "shall", "'ll", "’ll", "going", "would"),
    "threat_verb": ("threat", "vow", "ultimatum", "warn", "hesitate", "options", "consequences", "retaliat", "revenge", "reprisal"),
    "threat_ready_force": ("ready", "prepared", "willing"),
    "threat_addressee": ("anyone", "whoever", "those"),
    "forecast_risk": ("could", "may", "might", "risk", "likely", "expected", "forecast", "predict"),
    "denial_verb": ("den", "reject", "refut", "dismiss"),
    "denial_false": (
        "false",
        "untrue",
        "fabricat",
        "baseless",
        "unfounded",
        "groundless",
        "lie",
        "hoax",
        "fake",
        "nonsense",
        "smear",
        "slander",
        "made",
        "fiction",
        "propaganda",
        "myth",
        "truth",
        "evidence",
        "basis",
    ),
    "denial_no_event": ("there", "never", "did", "no"),
    "denial_not_a": ("not",),
    "denial_nothing_to_do": ("nothing", "no", "not", "innocent", "never"),
    "refusal_or_no_comment": ("declin", "refus", "did", "no", "could", "would"),
}
_STEM_TO = {}
for _name, _stems in _TRIGGERS.items():
    for _stem in _stems:
        _STEM_TO.setdefault(_stem, []).append(_name)
# the longest stem wins a match ("blame" over "blam"), so each stem also triggers its prefixes' cues
_STEM_TO = {s: sorted({n for t, names in _STEM_TO.items() if s.startswith(t) for n in names}) for s in _STEM_TO}
_TRIGGER_RX = re.compile(r"(?<![\w])(" + "|".join(sorted(map(re.escape, _STEM_TO), key=len, reverse=True)) + ")", re.IGNORECASE)
_REGEX = dict(_COMPILED)
# Conjunctions that a linear model cannot form by itself.
# Style cues (quotation marks, "said", first person) are left out on purpose: they separate the
# corpus's news style from speeches and columns, and a model leaning on them fails out of style.
_PAIRS = [
    ("threat_addressee", "threat_will_harm"),
    ("forecast_risk", "threat_conditional_harm"),
    ("denial_verb", "denial_false"),
]
CONSTRUCTION_NAMES = [n for n, _ in _COMPILED] + [f"{a}&{b}" for a, b in _PAIRS]


def construction_hits(text: str) -> list[str]:
    """Names of the construction cues that fire in ``text`` (used for features and evidence)."""
    candidates = {c for m in _TRIGGER_RX.finditer(text) for c in _STEM_TO[m.group(1).lower()]}
    fired = {name for name in candidates if _REGEX[name].search(text)}
    out = [name for name, _ in _COMPILED if name in fired]
    out += [f"{a}&{b}" for a, b in _PAIRS if a in fired and b in fired]
    return out


class ConstructionFeatures(TransformerMixin, BaseEstimator):
    """0/1 construction cues, scaled by ``weight``."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, X: Any, y: Any = None) -> ConstructionFeatures:
        # the cue list is part of the model: a model keeps the columns it was trained with even if
        # a later stance version adds or removes cues
        self.names_ = list(CONSTRUCTION_NAMES)
        self.n_features_out_ = len(self.names_)
        return self

    def transform(self, X: Any) -> sp.csr_matrix:
        index = {n: j for j, n in enumerate(self.names_)}
        rows, cols = [], []
        for i, text in enumerate(X):
            for name in construction_hits(text):
                if name in index:
                    rows.append(i)
                    cols.append(index[name])
        data = np.full(len(rows), self.weight, dtype=np.float64)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(X), len(self.names_)))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array([f"<{n}>" for n in self.names_], dtype=object)


# ---------------------------------------------------------------------------------------------


class TextFeatures(TransformerMixin, BaseEstimator):
    """Concatenation of the feature parts a config switches on, with column offsets kept so that a
    column can be traced back to the n-gram or cue it stands for (evidence)."""

    def __init__(
        self,
        kind: str = "tfidf",
        word_ngrams: tuple[int, int] | None = (1, 2),
        char_ngrams: tuple[int, int] | None = None,
        stem_ngrams: tuple[int, int] | None = None,
        stem_length: int = 5,
        mask_names: bool = False,
        stop_words: tuple[str, ...] | None = None,
        min_df: int = 1,
        max_df: float = 1.0,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        n_features: int = 2**20,
        constructions: bool = False,
        constructions_weight: float = 1.0,
        embedding_model: str | None = None,
        embedding_batch_size: int = 64,
    ) -> None:
        self.kind = kind
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.stem_ngrams = stem_ngrams
        self.stem_length = stem_length
        self.mask_names = mask_names
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.n_features = n_features
        self.constructions = constructions
        self.constructions_weight = constructions_weight
        self.embedding_model = embedding_model
        self.embedding_batch_size = embedding_batch_size

    def _make_parts(self) -> list[tuple[str, Any]]:
        parts: list[tuple[str, Any]] = []
        ngram_kind = "hashing" if self.kind == "hashing" else "tfidf"
        if self.kind in ("tfidf", "hashing", "tfidf+embeddings"):
            if self.word_ngrams:
                parts.append(("word", _ngram_part(ngram_kind, "word", tuple(self.word_ngrams), self)))
            if self.char_ngrams:
                parts.append(("char", _ngram_part(ngram_kind, "char_wb", tuple(self.char_ngrams), self)))
            if self.stem_ngrams:
                stems = StemAnalyzer(tuple(self.stem_ngrams), self.stem_length, self.mask_names)
                parts.append(("stem", _ngram_part(ngram_kind, stems, (1, 1), self)))
        if self.constructions:
            parts.append(("constructions", ConstructionFeatures(self.constructions_weight)))
        if self.kind in ("embeddings", "tfidf+embeddings"):
            from stance.embeddings import EmbeddingFeatures

            parts.append(("embeddings", EmbeddingFeatures(self.embedding_model, self.embedding_batch_size)))
        return parts

    def fit(self, X: Any, y: Any = None) -> TextFeatures:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        X = list(X)
        self.parts_ = self._make_parts()
        blocks = [part.fit_transform(X) for _, part in self.parts_]
        self.offsets_ = np.cumsum([0] + [b.shape[1] for b in blocks]).tolist()
        return _hstack(blocks)

    def transform(self, X: Any) -> sp.csr_matrix:
        X = list(X)
        return _hstack([part.transform(X) for _, part in self.parts_])

    def column_names(self) -> list[str | None] | None:
        """Every column's readable term, once per model (None for columns that stand for no term,
        such as embeddings), or None when a part cannot be mapped without the sentence (hashing)."""
        names: list[str | None] = [None] * int(self.offsets_[-1])
        for (name, part), offset in zip(self.parts_, self.offsets_):
            if name in ("word", "char", "stem") and isinstance(part, TfidfVectorizer):
                for term, col in part.vocabulary_.items():
                    names[offset + col] = term
            elif name == "constructions":
                for col, term in enumerate(part.get_feature_names_out()):
                    names[offset + col] = str(term)
            elif name != "embeddings":
                return None
        return names

    def column_terms(self, text: str) -> dict[int, str]:
        """Map the columns that ``text`` activates to readable terms (n-grams and cue names)."""
        out: dict[int, str] = {}
        for (name, part), offset in zip(self.parts_, self.offsets_):
            if name == "constructions":
                index = {n: j for j, n in enumerate(part.names_)}
                for cue in construction_hits(text):
                    if cue in index:
                        out[offset + index[cue]] = f"<{cue}>"
            elif name in ("word", "char", "stem"):
                vec = part.steps[0][1] if hasattr(part, "steps") else part
                analyzer = vec.build_analyzer()
                for term in analyzer(text):
                    col = _term_column(vec, term)
                    if col is not None:
                        out[offset + col] = term
        return out


_NAME_RX = re.compile(r"(?<=[\w,;:’'\"”)] )[A-Z][\w’'-]*")
_DIGITS_RX = re.compile(r"\d+(?:[.,]\d+)*")


_QUOTES_RX = re.compile(r"[\"“”„«»]")


def plain_text(text: str) -> str:
    """Lowercase without quotation marks (see TOKEN_PATTERN for why quotes are not features)."""
    return _QUOTES_RX.sub(" ", text).lower()


ATTRIBUTION_WORDS = (
    "said",
    "says",
    "say",
    "saying",
    "told",
    "tells",
    "tell",
    "added",
    "adds",
    "according",
    "stated",
    "states",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "statement",
    "reporters",
    "interview",
    "quoted",
)


def expand_stop_words(words: Any) -> list[str]:
    """The config's stop words, with the named set "attribution" expanded."""
    out: list[str] = []
    for w in words:
        out += list(ATTRIBUTION_WORDS) if w == "attribution" else [w.lower()]
    return sorted(set(out))


def mask_text(text: str) -> str:
    """Lowercase, with mid-sentence capitalised words -> 'xname' and numbers -> '0'."""
    return _DIGITS_RX.sub("0", _NAME_RX.sub("Xname", _QUOTES_RX.sub(" ", text))).lower()


class StemAnalyzer:
    """Word-stem n-grams: tokens cut to their first ``length`` characters, then joined in n-grams."""

    def __init__(self, ngram_range: tuple[int, int], length: int, mask: bool) -> None:
        self.ngram_range = tuple(ngram_range)
        self.length = length
        self.mask = mask
        self._rx = re.compile(TOKEN_PATTERN)

    def __call__(self, text: str) -> list[str]:
        text = mask_text(text) if self.mask else text.lower()
        toks = [t[: self.length] for t in self._rx.findall(text)]
        lo, hi = self.ngram_range
        out = toks if lo == 1 else []
        for n in range(max(lo, 2), hi + 1):
            out += [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
        return out

    def __getstate__(self) -> dict[str, Any]:
        return {"ngram_range": self.ngram_range, "length": self.length, "mask": self.mask}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["ngram_range"], state["length"], state["mask"])


def _ngram_part(kind: str, analyzer: Any, ngram_range: tuple[int, int], cfg: TextFeatures) -> Any:
    common: dict[str, Any] = {"analyzer": analyzer, "ngram_range": ngram_range, "lowercase": True, "dtype": np.float64}
    if analyzer == "word":
        common["token_pattern"] = TOKEN_PATTERN
    if isinstance(analyzer, str):
        common["preprocessor"] = mask_text if cfg.mask_names else plain_text
    if analyzer == "word" and cfg.stop_words:
        common["stop_words"] = expand_stop_words(cfg.stop_words)
    if kind == "hashing":
        from sklearn.pipeline import Pipeline

        hv = HashingVectorizer(n_features=cfg.n_features, alternate_sign=False, norm=None, **common)
        return Pipeline([("hash", hv), ("tfidf", TfidfTransformer(sublinear_tf=cfg.sublinear_tf))])
    return TfidfVectorizer(min_df=cfg.min_df, max_df=cfg.max_df, max_features=cfg.max_features, sublinear_tf=cfg.sublinear_tf, **common)


def _term_column(vec: Any, term: str) -> int | None:
    if isinstance(vec, HashingVectorizer):
        return abs(murmurhash3_32(term, seed=0)) % vec.n_features
    return vec.vocabulary_.get(term)


def _hstack(blocks: list[Any]) -> sp.csr_matrix:
    blocks = [b if sp.issparse(b) else sp.csr_matrix(b) for b in blocks]
    return sp.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0].tocsr()


def build_features(cfg: FeaturesConfig) -> TextFeatures:
    return TextFeatures(
        kind=cfg.kind,
        word_ngrams=tuple(cfg.word_ngrams) if cfg.word_ngrams else None,
        char_ngrams=tuple(cfg.char_ngrams) if cfg.char_ngrams else None,
        stem_ngrams=tuple(cfg.stem_ngrams) if cfg.stem_ngrams else None,
        stem_length=cfg.stem_length,
        mask_names=cfg.mask_names,
        stop_words=tuple(cfg.stop_words) if cfg.stop_words else None,
        min_df=cfg.min_df,
        max_df=cfg.max_df,
        max_features=cfg.max_features,
        sublinear_tf=cfg.sublinear_tf,
        n_features=cfg.n_features,
        constructions=cfg.constructions,
        constructions_weight=cfg.constructions_weight,
        embedding_model=cfg.embedding_model,
        embedding_batch_size=cfg.embedding_batch_size,
    )
