"""stance.segment: sentence boundaries, paragraphs and offsets."""

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
# The seed article


def test_seed_offsets() -> None:
    text = SEED.read_text(encoding="utf-8")
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text


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
