"""Construction cues: rule-based patterns that name *what is being done* in a sentence (accusing,
threatening, denying) rather than its topic, so they carry across outlets and subjects. Each cue fires
0/1; :class:`ConstructionFeatures` turns them into a feature block and names its columns.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

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
