"""stance.attribution: quotation flags and speakers on segmented sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from stance.segment import Sentence, split_sentences

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "belarus-lukashenko-2023.txt"


def one(text: str) -> Sentence:
    sentences = split_sentences(text)
    assert len(sentences) == 1, [s.text for s in sentences]
    return sentences[0]


@pytest.fixture(scope="module")
def seed() -> list[Sentence]:
    return split_sentences(SEED.read_text(encoding="utf-8"))


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


def test_surname_maps_to_first_full_form() -> None:
    text = 'Alexander Lukashenko spoke in Minsk.\n\n"There was no invasion," Lukashenko said.'
    sentences = split_sentences(text)
    assert sentences[1].speaker == "Alexander Lukashenko"  # the full name seen in the text (issue 15)
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
