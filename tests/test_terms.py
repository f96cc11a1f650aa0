"""Strings packed as one UTF-8 buffer (stance.terms)."""

from __future__ import annotations

from stance.terms import PackedTerms, pack_terms


def test_take_is_each_term_decoded() -> None:
    terms = ["tax", "", "naïve", "Σ ΣΑΣ", "they lied", "x", "日本"]
    packed = PackedTerms(*pack_terms(terms))
    cols = [6, 0, 2, 1, 2, 5, 3, 4, 1]
    assert packed.take(cols) == [terms[c] for c in cols] == [packed[c] for c in cols]
    assert packed.take([]) == []
    assert packed.all() == terms


def test_take_of_a_buffer_holding_a_nul_reads_term_by_term() -> None:
    terms = ["a\x00b", "c", ""]
    packed = PackedTerms(*pack_terms(terms))
    assert packed.take([0, 1, 2, 0]) == [terms[0], "c", "", terms[0]]
