"""stance.segment: sentence boundaries, offsets, quotes, speakers and boilerplate."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.segment import Sentence, split_sentences

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "belarus-lukashenko-2023.txt"


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def one(text: str) -> Sentence:
    sentences = split_sentences(text)
    assert len(sentences) == 1, [s.text for s in sentences]
    return sentences[0]


# ---------------------------------------------------------------------------------------------
# Boundaries


@pytest.mark.parametrize(
    "text, expected",
    [
        # month abbreviations before a day
        ("The rally was held on Aug. 16 in Minsk. It drew thousands.", ["The rally was held on Aug. 16 in Minsk.", "It drew thousands."]),
        ("Born in Jan. 1990, he moved to Kyiv.", ["Born in Jan. 1990, he moved to Kyiv."]),
        # U.S. mid-sentence and at a sentence's end
        ("U.S. officials said the talks failed. Nothing changed.", ["U.S. officials said the talks failed.", "Nothing changed."]),
        ("The U.S. Army said it was ready.", ["The U.S. Army said it was ready."]),
        ("The sanctions came from the U.S. The EU followed.", ["The sanctions came from the U.S.", "The EU followed."]),
        ("He met officials in Washington, D.C. The talks went well.", ["He met officials in Washington, D.C.", "The talks went well."]),
        ("Officials met at 5 p.m. Officials said it went well.", ["Officials met at 5 p.m.", "Officials said it went well."]),
        # titles
        (
            "Mr. Smith arrived late. Dr. Jones left early. Gen. Milley spoke.",
            ["Mr. Smith arrived late.", "Dr. Jones left early.", "Gen. Milley spoke."],
        ),
        ("Mrs. Brown and Prof. White met Sen. Green.", ["Mrs. Brown and Prof. White met Sen. Green."]),
        # initials
        ("J. K. Rowling wrote the book. It sold well.", ["J. K. Rowling wrote the book.", "It sold well."]),
        ("The poem is by T. S. Eliot, not by W. B. Yeats.", ["The poem is by T. S. Eliot, not by W. B. Yeats."]),
        # numbers
        ("Inflation rose 3.5 percent. Prices fell.", ["Inflation rose 3.5 percent.", "Prices fell."]),
        ("It costs $1.5 million. That is a lot.", ["It costs $1.5 million.", "That is a lot."]),
        ("He lives at No. 10 Downing Street. He is busy.", ["He lives at No. 10 Downing Street.", "He is busy."]),
        ("He wrote Vol. 2 of the series.", ["He wrote Vol. 2 of the series."]),
        ("He was born in 1990. In 2000 he moved.", ["He was born in 1990.", "In 2000 he moved."]),
        ("Version 2.0.1 shipped. 2023 was a good year.", ["Version 2.0.1 shipped.", "2023 was a good year."]),
        # other end marks
        ("Is it over? Nobody knows! Wait… What now?", ["Is it over?", "Nobody knows!", "Wait…", "What now?"]),
        ("He said so (twice.) Then he left.", ["He said so (twice.)", "Then he left."]),
        # no boundary without a following capital, digit or quote
        ("he left. then he came back.", ["he left. then he came back."]),
        ("", []),
        ("   \n\n  \t ", []),
    ],
)
def test_boundaries(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ('"We will win," he said. Nobody believed it.', ['"We will win," he said.', "Nobody believed it."]),
        ("“We will win,” he said. Nobody believed it.", ["“We will win,” he said.", "Nobody believed it."]),
        ("'We will win,' he said. Nobody believed it.", ["'We will win,' he said.", "Nobody believed it."]),
        ("‘We will win,’ he said. Nobody believed it.", ["‘We will win,’ he said.", "Nobody believed it."]),
        ('"Are you sure?" she asked. He nodded.', ['"Are you sure?" she asked.', "He nodded."]),
        ("“Are you sure?” she asked. He nodded.", ["“Are you sure?” she asked.", "He nodded."]),
        # a named attribution after ?" or !" stays with its quote
        ('"Is it over?" Smith asked. Nobody answered.', ['"Is it over?" Smith asked.', "Nobody answered."]),
        ("“Stop!” Lukashenko said. He left.", ["“Stop!” Lukashenko said.", "He left."]),
        ('"Is it over?" asked Smith. Nobody answered.', ['"Is it over?" asked Smith.', "Nobody answered."]),
        # ... but not a new sentence that merely starts with a capitalised word
        ('"Is it over?" The minister did not reply.', ['"Is it over?"', "The minister did not reply."]),
        ('"Really?" Then Smith said no.', ['"Really?"', "Then Smith said no."]),
        # a full stop inside the closing quote ends the sentence
        ('"We will win." Smith said it twice.', ['"We will win."', "Smith said it twice."]),
        # a multi-sentence quote
        (
            '"We don\'t want war," he said. "We are in no way going. Here\'s my answer."',
            ['"We don\'t want war," he said.', '"We are in no way going.', "Here's my answer.\""],
        ),
        ("He said “yes.” Then he left.", ["He said “yes.”", "Then he left."]),
    ],
)
def test_quotation_boundaries(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_offsets_index_the_original_text() -> None:
    text = '  Mr. Smith arrived.\n\n"Is it over?" she asked.   Nobody knew.  '
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["Mr. Smith arrived.", '"Is it over?" she asked.', "Nobody knew."]
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_to_dict() -> None:
    d = one('Smith said: "We are ready."').to_dict()
    assert d == {
        "text": 'Smith said: "We are ready."',
        "start": 0,
        "end": 27,
        "paragraph": 0,
        "quote": True,
        "speaker": "Smith",
        "boilerplate": False,
        "holder": "Smith",
        "holder_source": "reporting-verb",
    }


# ---------------------------------------------------------------------------------------------
# Paragraphs


def test_blank_lines_separate_paragraphs() -> None:
    sentences = split_sentences("First paragraph here.\n\nSecond paragraph here. Another one.\n\n\n\nThird.")
    assert [(s.paragraph, s.text) for s in sentences] == [
        (0, "First paragraph here."),
        (1, "Second paragraph here."),
        (1, "Another one."),
        (2, "Third."),
    ]


def test_single_newline_breaks_after_end_punctuation_or_short_line_only() -> None:
    long_line = "This is a long line that wraps in the middle of a sentence because the source was hard"
    text = f"Headline\n{long_line}\nwrapped here. Next sentence.\nA new line."
    sentences = split_sentences(text)
    assert [(s.paragraph, s.text) for s in sentences] == [
        (0, "Headline"),
        (1, f"{long_line}\nwrapped here."),
        (1, "Next sentence."),
        (2, "A new line."),
    ]


def test_bullets_are_paragraphs() -> None:
    sentences = split_sentences(
        "Key points of the long article on the long war that is being written about:\n- First point\n- Second point"
    )
    assert [s.paragraph for s in sentences] == [0, 1, 2]
    assert sentences[1].text == "- First point"


def test_crlf_input_keeps_offsets() -> None:
    text = "One here.\r\n\r\nTwo here. Three.\r\n"
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == ["One here.", "Two here.", "Three."]
    assert [s.paragraph for s in sentences] == [0, 1, 1]
    for s in sentences:
        assert text[s.start : s.end] == s.text


# ---------------------------------------------------------------------------------------------
# Quote flags


@pytest.mark.parametrize(
    "text, quote",
    [
        ('"We will win," he said.', True),
        ("“We will win,” he said.", True),
        ('Smith said: "We are ready."', True),
        ("“Are you sure?” she asked.", True),
        ("«Nous gagnerons», a-t-il dit.", True),
        ("Nobody believed it.", False),
        # a scare-quoted phrase is not a quotation
        ('Lukashenko\'s news conference was portrayed by his office as a "surprise" event for the press.', False),
        ("The so-called “peace plan” was rejected by every party at the talks in Geneva.", False),
    ],
)
def test_quote_flag(text: str, quote: bool) -> None:
    assert one(text).quote is quote


def test_multi_sentence_quote_flags_every_sentence() -> None:
    sentences = split_sentences("Mr. Smith said: “We are ready. We are willing. We will go.” Then he left.")
    assert [s.quote for s in sentences] == [True, True, True, False]


def test_quote_state_resets_at_paragraph() -> None:
    sentences = split_sentences('He said: "It is over and done.\n\nA new paragraph without marks.')
    assert [s.quote for s in sentences] == [True, False]


# ---------------------------------------------------------------------------------------------
# Speakers


@pytest.mark.parametrize(
    "text, speaker",
    [
        ('Smith said: "We are ready."', "Smith"),
        ("Mr. Smith said: “We are ready.”", "Smith"),
        ('"We are ready," said Smith.', "Smith"),
        ("“We are ready,” said John Smith.", "John Smith"),
        ('"We are ready," Smith told reporters.', "Smith"),
        ("The plan failed, according to Smith.", "Smith"),
        # organisations hold stances too (issue 15)
        ("The plan failed, according to the ministry.", "the ministry"),
        ("The ministry said nothing.", "the ministry"),
        ("On Monday said nothing.", None),
    ],
)
def test_speaker_patterns(text: str, speaker: str | None) -> None:
    assert one(text).speaker == speaker


def test_pronoun_resolves_to_last_named_person_speaker() -> None:
    text = 'Mary Jones said the vote was rigged. "I am tired," she said. "Let me sleep."'
    sentences = split_sentences(text)
    assert [s.speaker for s in sentences] == ["Mary Jones", "Mary Jones", "Mary Jones"]


def test_pronoun_skips_a_place_that_speaks() -> None:
    # "Minsk claimed" is an attribution to a place, not a person: a later "he" stays with the person.
    text = 'Alexander Lukashenko said it was over. Minsk claimed a victory. "We won," he said.'
    sentences = split_sentences(text)
    assert [s.speaker for s in sentences] == ["Alexander Lukashenko", "Minsk", "Alexander Lukashenko"]


def test_surname_maps_to_the_full_name_seen() -> None:
    text = 'Alexander Lukashenko spoke in Minsk.\n\n"There was no invasion," Lukashenko said.'
    sentences = split_sentences(text)
    assert sentences[1].speaker == "Alexander Lukashenko"  # seen in the text, though not in an attribution (issue 15)
    text = 'Alexander Lukashenko said it was over.\n\n"There was no invasion," Lukashenko said.'
    assert split_sentences(text)[1].speaker == "Alexander Lukashenko"


def test_pronoun_without_a_named_speaker_is_none() -> None:
    assert [s.speaker for s in split_sentences('"We will win," he said. Nobody believed it.')] == [None, None]


def test_unattributed_quote_inherits_speaker_within_paragraph() -> None:
    text = (
        '"It\'s not an invasion," Lukashenko said. "Had they agreed there would have been no war."\n\n'
        '"There was no invasion," Lukashenko continued. "I believe this is protection." It was a long day.'
    )
    sentences = split_sentences(text)
    assert [(s.paragraph, s.quote, s.speaker) for s in sentences] == [
        (0, True, "Lukashenko"),
        (0, True, "Lukashenko"),
        (1, True, "Lukashenko"),
        (1, True, "Lukashenko"),
        (1, False, None),  # not a quote: inherits nothing
    ]


def test_quote_does_not_inherit_across_paragraphs() -> None:
    sentences = split_sentences('"We are ready," said Smith.\n\n"Nobody else is."')
    assert sentences[1].quote and sentences[1].speaker is None


# ---------------------------------------------------------------------------------------------
# The seed article


@pytest.fixture(scope="module")
def seed() -> list[Sentence]:
    return split_sentences(SEED.read_text(encoding="utf-8"))


def _para(sentences: list[Sentence], p: int) -> list[Sentence]:
    return [s for s in sentences if s.paragraph == p]


def test_seed_boilerplate(seed: list[Sentence]) -> None:
    flagged = [s for s in seed if s.boilerplate]
    # the caption printed twice, the second time with its credit
    assert flagged[0].text.startswith("Alexander Lukashenko, Belarus’s president, gestures")
    assert flagged[0].text.endswith("on Aug. 16, 2020.")  # "Aug. 16" did not split
    assert flagged[1].text == flagged[0].text
    assert flagged[2].text == "(Evgeny Maloletka/Bloomberg)"
    # the newsletter footer: three paragraphs at the end
    footer = [s.text for s in flagged[3:]]
    assert footer[0] == "Sign Up for Daily Headlines"
    assert footer[1].startswith("Sign up to receive a daily email")
    assert footer[2] == "Sign Up Now"
    assert len(flagged) == 6
    last_news = max(s.paragraph for s in seed if not s.boilerplate)
    assert {s.paragraph for s in flagged[3:]} == {last_news + 1, last_news + 2, last_news + 3}


def test_seed_news_is_not_boilerplate(seed: list[Sentence]) -> None:
    news = [s for s in seed if not s.boilerplate]
    assert news[0].text.startswith("The authoritarian Belarusian leader, Alexander Lukashenko, on Thursday blamed Ukraine")
    assert news[-1].text == 'It was given a long time ago."'
    assert len({s.paragraph for s in news}) == 18


def test_seed_quotes_and_speakers(seed: list[Sentence]) -> None:
    by_text = {s.text: s for s in seed}
    s = by_text['"If they commit aggression against Belarus, the answer will be immediate," he said.']
    assert s.quote and s.speaker == "Alexander Lukashenko"
    s = by_text['"The war will acquire a completely different scale."']
    assert s.quote and s.speaker == "Alexander Lukashenko"  # inherited from the quote before it
    s = by_text['"There was no invasion," Lukashenko continued.']
    assert s.quote and s.speaker == "Alexander Lukashenko"
    # Zelenskyy is mentioned, but the "he said" after it is still Lukashenko's
    zel = [x for x in seed if x.text.startswith('"He should not run around Western Europe')]
    assert zel and zel[0].speaker == "Alexander Lukashenko" and zel[0].quote
    # a scare quote is not a quotation
    surprise = [x for x in seed if '"surprise" event' in x.text]
    assert surprise and not surprise[0].quote
    # the multi-sentence quote at the end: four sentences, all quoted, all Lukashenko's
    last = [x for x in seed if x.paragraph == max(y.paragraph for y in seed if not y.boilerplate)]
    quoted = [x for x in last if x.quote]
    assert [x.text[:12] for x in quoted] == ["\"We don't wa", '"We are in n', "Here's my an", "It was given"]
    assert all(x.speaker == "Alexander Lukashenko" for x in quoted)


def test_seed_offsets(seed: list[Sentence]) -> None:
    text = SEED.read_text(encoding="utf-8")
    for s in seed:
        assert text[s.start : s.end] == s.text


def test_duplicate_paragraph_and_footer_rules_on_small_text() -> None:
    text = (
        "Soldiers march through the square in the capital during the parade.\n\n"
        "Soldiers march through the square in the capital during the parade. (Jane Doe/AP)\n\n"
        "The parade lasted three hours and was watched by thousands of people.\n\n"
        "Subscribe to our newsletter\n\n"
        "Sign Up Now"
    )
    sentences = split_sentences(text)
    assert [s.boilerplate for s in sentences] == [True, True, True, False, True, True]


def test_long_paragraph_mentioning_subscriptions_is_news() -> None:
    text = ("The company said its newsletter subscription numbers had doubled. " * 8).strip()
    assert len(text) > 400
    assert not any(s.boilerplate for s in split_sentences(text))


# ---------------------------------------------------------------------------------------------
# Properties over arbitrary text

_PIECES = [
    "Mr.",
    "U.S.",
    "The",
    "the",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "\u00a0",
    "\u2028",
    '"',
    "“",
    "”",
    "'",
    "‘",
    "’",
    "«",
    "»",
    "he said",
    "said Smith",
    ",",
    ".",
    "?",
    "!",
    "…",
    "Smith",
    "a.m.",
    "J.",
    "3.5",
    "No. 10",
    "- ",
    "• ",
    "(",
    ")",
    "Ünïcödé",
    "日本語。",
    "x",
]
_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list("aZ .!?\"'“”‘’«»()[]\n\t…0J\r\u00a0\u2028\x1c\x85é"))),
    st.lists(st.sampled_from(_PIECES), max_size=40).map("".join),
)


def _no_space(s: str) -> str:
    return "".join(ch for ch in s if not ch.isspace())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_offsets_order_and_coverage(text: str) -> None:
    sentences = split_sentences(text)
    prev_end, prev_para = 0, 0
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert prev_end <= s.start < s.end
        assert s.paragraph >= prev_para
        prev_end, prev_para = s.end, s.paragraph
    # no non-whitespace character lost or duplicated
    assert "".join(_no_space(s.text) for s in sentences) == _no_space(text)
