"""stance.summary: per-article and per-speaker counts, spooled past a limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stance.articles import Article
from stance.render.files import write_summary
from stance.summary import Summary
from tests.conftest import (
    LABELS,
)


def test_summary_rows_spool_to_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Past SUMMARY_ROWS_IN_MEMORY rows the per-article rows go to a temporary file; the summary
    files are the same either way."""
    import stance.summary as summary_module

    def run(keep: int) -> tuple[Summary, str]:
        monkeypatch.setattr(summary_module, "SUMMARY_ROWS_IN_MEMORY", keep)
        s = Summary(LABELS)
        for i in range(25):
            recs = [{"labels": ["blame"] if i % 3 else [], "speaker": "Smith" if i % 2 else None, "boilerplate": i == 4}]
            s.add(Article(f"a{i}", "x"), recs)
        write_summary(s, tmp_path / f"s{keep}.json")
        return s, (tmp_path / f"s{keep}.json").read_text(encoding="utf-8")

    (mem, a), (spooled, b) = run(1000), run(10)
    assert a == b and json.loads(a)["totals"] == mem.totals() == spooled.totals()
    assert len(spooled.articles) == 25 and spooled.articles[24]["article"] == "a24" and spooled.articles._spool is not None
    assert a == json.dumps({"totals": mem.totals(), "articles": list(mem.articles), "speakers": mem.speaker_table()}, indent=2) + "\n"


def _rec(holder: str | None, labels: list[str], boilerplate: bool = False) -> dict:
    return {
        "labels": labels,
        "speaker": holder,
        "holder": holder,
        "holder_source": "reporting-verb" if holder else None,
        "boilerplate": boilerplate,
    }


def test_holder_name_variants_are_one(tmp_path: Path) -> None:
    """Within an article "Mr. Okafor", "Okafor" and "Chidi Okafor" are one holder; across articles
    "Farmers" and "farmers" are one; a bare surname in another article is not joined to the full name."""
    s = Summary(LABELS)
    a = s.add(
        Article("a", "x"),
        [_rec("Chidi Okafor", ["blame"]), _rec("Mr. Okafor", ["threat"]), _rec("Okafor", []), _rec("Farmers", ["blame"]), _rec(None, [])],
    )
    b = s.add(
        Article("b", "x"), [_rec("farmers", ["blame"]), _rec("farmers", []), _rec("Okafor", ["denial"]), _rec("Sgt. Ruiz", ["blame"], True)]
    )
    assert a["by_speaker"] == {"Chidi Okafor": {"blame": 1, "threat": 1, "denial": 0}, "Farmers": {"blame": 1, "threat": 0, "denial": 0}}
    assert b["by_speaker"] == {"farmers": {"blame": 1, "threat": 0, "denial": 0}, "Okafor": {"blame": 0, "threat": 0, "denial": 1}}
    table = {r["speaker"]: (r["sentences"], r["counts"]) for r in s.speaker_table()}
    assert table == {
        "Chidi Okafor": (3, {"blame": 1, "threat": 1, "denial": 0}),
        "farmers": (3, {"blame": 2, "threat": 0, "denial": 0}),  # the form written most often
        "Okafor": (1, {"blame": 0, "threat": 0, "denial": 1}),
        "(unattributed)": (1, {"blame": 0, "threat": 0, "denial": 0}),
    }
    write_summary(s, tmp_path / "s.json")
    write_summary(s, tmp_path / "s.csv")
    assert [r["speaker"] for r in json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["speakers"]] == list(table)
    csv_rows = [line.split(",") for line in (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines() if line.startswith("speaker,")]
    assert [(r[1], int(r[2])) for r in csv_rows] == [(k, v[0]) for k, v in table.items()]


def test_earlier_records_with_speaker_only_still_count() -> None:
    s = Summary(LABELS)
    s.add(Article("a", "x"), [{"labels": ["blame"], "speaker": "Mr. Pike", "boilerplate": False}])
    assert [(r["speaker"], r["counts"]["blame"]) for r in s.speaker_table()] == [("Pike", 1)]


def test_digests_added_up_give_the_same_summary() -> None:
    """What scoring workers send (digest_article) added up equals adding the records themselves."""
    import pickle

    from stance.summary import digest_article

    articles = [
        (Article("a", "x"), [_rec("Chidi Okafor", ["blame"]), _rec("Mr. Okafor", ["threat"]), _rec(None, ["denial"]), _rec("Farmers", [])]),
        (Article("b", "x"), [_rec("farmers", ["blame", "denial"]), _rec("Okafor", []), _rec("Sgt. Ruiz", ["blame"], True)]),
        (Article("c", "x"), []),
    ]
    direct, summed = Summary(LABELS), Summary(LABELS)
    rows = [direct.add(a, r) for a, r in articles]
    # through pickle, as from a worker process
    assert [summed.add_digest(pickle.loads(pickle.dumps(digest_article(LABELS, a, r)))) for a, r in articles] == rows
    assert summed.speaker_table() == direct.speaker_table() and summed.totals() == direct.totals()
    assert list(summed.articles) == list(direct.articles)


def _columns(labels: list[str], records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The records as scoring gives them to a digest that reads columns: empty dicts and their Columns."""
    from stance.records import Columns, Records

    sets = {c: tuple(lab for j, lab in enumerate(labels) if c >> j & 1) for c in range(1 << len(labels))}
    codes = [sum(1 << labels.index(lab) for lab in r["labels"]) for r in records]  # type: ignore[attr-defined]
    out = Records([{}] * len(records))
    out.columns = Columns(codes, sets, [r["holder"] for r in records], [bool(r["boilerplate"]) for r in records])  # type: ignore[misc]
    return out


def test_digest_from_columns_is_the_digest_from_records() -> None:
    """Same rows, holder counts, forms and their order (the keys' order shows in the summary file):
    repeated and varied names of one holder, no holder, boilerplate (its names still normalise the
    others), sentences without labels, non-ASCII names, an empty article."""
    import pickle

    from stance.summary import ColumnDigest, digest_article

    articles = [
        [_rec("Chidi Okafor", ["blame"]), _rec("Mr. Okafor", ["threat"]), _rec(None, ["denial"]), _rec("Farmers", [])],
        [_rec("farmers", []), _rec("Okafor", ["blame"]), _rec("Okafor", ["blame"]), _rec("Sgt. Ruiz", ["blame"], True)],
        [
            _rec("Ruiz", ["denial", "threat"]),
            _rec("Zoë Çelik", ["blame"]),
            _rec("Mr. Çelik", []),
            _rec(None, []),
            _rec("Sgt. Ruiz", [], True),
        ],
        [],
    ]
    for i, records in enumerate(articles):
        article = Article(f"a{i}", "x")
        expected = digest_article(LABELS, article, records)
        got = ColumnDigest(LABELS)(article, _columns(LABELS, records))
        assert got == expected
        assert repr(got[:3]) == repr(expected[:3])  # the keys in the same order (the label counts' order is never shown)
    assert pickle.loads(pickle.dumps(ColumnDigest(LABELS))).labels == LABELS
