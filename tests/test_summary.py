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
