"""The words the holder rules read: reporting and stance verbs, auxiliaries, subordinators, titles,
role, organisation and group nouns, the patterns built from them, and the cheap scans over a masked
sentence that find where they stand (trigger runs, verb positions)."""

from __future__ import annotations

import re

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
_QUOTE_CHARS = '"“”«»'
_QUOTE_MARK = re.compile(f"[{_QUOTE_CHARS}]")
_OPENERS = "“«"


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
# is several times faster than one regex alternation of every verb form). The words are the runs of
# a-z in a sentence: its UTF-8 bytes with every other byte made a space, split (in C, twice as fast as
# a regex findall; a byte of a non-ASCII character is never a-z, so the runs are the same).
_LIGHT_VERBS = _set("issued issues made makes levelled leveled voiced voices expressed expresses renewed renews")
_PHRASAL_VERBS = _set("point points pointed lash lashes lashed spoke speaks")
_TRIGGERS = _VERBS | _PARTICIPLES | _LIGHT_VERBS | _PHRASAL_VERBS
_RUN_BYTES = bytes(b if 97 <= b <= 122 else 32 for b in range(256))  # for bytes.translate


def _as_bytes(words: frozenset[str]) -> frozenset[bytes]:
    return frozenset(w.encode() for w in words)


_TRIGGER_BYTES, _LIGHT_BYTES, _PHRASAL_BYTES = _as_bytes(_TRIGGERS), _as_bytes(_LIGHT_VERBS), _as_bytes(_PHRASAL_VERBS)
_VERB_OF_RUN = {w.encode(): w for w in _VERBS}  # a trigger run that is a reporting verb -> the verb


_IRREGULAR_PAST = _set(
    "found made took gave went came began fell rose hit ran lost won held led left met put set cut saw got kept brought "
    "thought sought bought built sent spent struck stood shot fled drew grew knew became broke chose spoke rang sank "
    "wore tore threw flew forgot forgave hid bit fought caught taught sold paid laid lay sat"
)
_NP_STOP = _AUX | _VERBS | _SUBORDINATORS | _IRREGULAR_PAST | frozenset({"to"})

# Derived sets, so that hot loops test a set once instead of two or three per word.
_VERBISH = _VERBS | _AUX | _IRREGULAR_PAST  # a word any of which ends a noun phrase
_SUBORDINATE_ONLY = _SUBORDINATORS - _RELATIVES  # a word that makes a clause subordinate
_PRONOUNS_OR_PERSON = frozenset(_PRONOUNS) | {"i", "we", "you"}
_PREPS_NOT_TO = _PREPS - {"to"}
# The first characters _LEAD_TIME can match at (ignoring case); a non-ASCII one may case-fold to one.
_LEAD_TIME_FIRST = frozenset("oOiIlLtTeEsSuU")
# An ASCII first word _LEAD_TIME can match at: one of its opening words, in any case.
_LEAD_TIME_OPENERS = _set("on in last this early late earlier since until so")
_RELATIVE_CUTS = _set("who that which whose")  # words that end a subject ("Residents who lost ...")
_COORDINATORS = _set("and or nor")
_NAME_LINKS = _set("de van von al bin da del la le of the for and &")  # words inside a name run


def _trigger_runs(frame: str) -> frozenset[bytes]:
    """The trigger words that stand in a masked sentence as whole runs of a-z (as bytes): where there
    is none and no "according to", the sentence is not read; where no light or phrasal verb is among
    them, their patterns cannot match."""
    return _TRIGGER_BYTES.intersection(frame.encode("utf-8", "surrogatepass").translate(_RUN_BYTES).split())


def _verb_starts(frame: str, runs: frozenset[bytes]) -> list[int]:
    """Where the reporting verbs of a masked sentence (its words joined by single spaces) start: tokens
    that are a verb, lower-case ("Said" may be a name), bar ,.;:!? around it. Found from the few verbs
    among ``runs`` with ``str.find`` rather than by testing every token."""
    starts: list[int] = []
    for run in runs:
        verb = _VERB_OF_RUN.get(run)
        if verb is None:
            continue
        n = len(verb)
        at = frame.find(verb)
        while at >= 0:
            start = frame.rfind(" ", 0, at) + 1
            end = frame.find(" ", at + n)
            if end < 0:
                end = len(frame)
            if not frame[start:at].strip(",.;:!?") and not frame[at + n : end].strip(",.;:!?"):
                starts.append(start)
            at = frame.find(verb, at + 1)
    return starts


# A token that is a participle (bar ,.;:) after a token that ends with a comma or is "in", "by" or
# "while", in a lower-cased masked sentence: where the main clause's subject holds the stance.
_PARTICIPLE_AFTER = re.compile(rf"(?:,|(?<![^ ])(?:in|by|while)) [,.;:]*(?:{'|'.join(sorted(_PARTICIPLES))})[,.;:]*(?![^ ])")
