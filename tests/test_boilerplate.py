"""stance.boilerplate: captions, credits, repeated paragraphs and footers are flagged; news is not."""

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
    # news before, between and after the captions is kept, and every boilerplate paragraph is whole
    assert any(s.paragraph < min(x.paragraph for x in seed if x.boilerplate and "Sign" in x.text) for s in news)


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


def test_fold_letters_cover_every_non_ascii_letter_that_matches_an_ascii_one() -> None:
    """The cheap lower-case prefilters in stance.boilerplate are sound only if _FOLDS is complete."""
    import re

    from stance.boilerplate import _FOLDS

    ascii_letter = re.compile("[a-z]", re.IGNORECASE)
    folding = {chr(c) for c in range(128, 0x110000) if ascii_letter.fullmatch(chr(c))}
    assert folding <= set(_FOLDS)
