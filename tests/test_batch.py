"""stance.batch: a scoring run over files - parallel and Dask runs give the same bytes, summaries, formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from stance.batch import run_scoring
from tests.conftest import (
    LABELS,
    SEED_ARTICLE,
    read_jsonl,
)


def test_jobs_2_output_identical_to_jobs_1(default_model: Path, many: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    s1 = run_scoring(str(default_model), [str(many)], str(one), jobs=1)
    s2 = run_scoring(str(default_model), [str(many)], str(two), jobs=2)
    assert one.read_bytes() == two.read_bytes()
    assert len(s1.articles) == len(s2.articles) == 41
    assert s1.totals() == s2.totals()


def test_dask_backend_identical_to_local(default_model: Path, many: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    local, remote = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    run_scoring(str(default_model), [str(many)], str(local))
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, host="127.0.0.1", protocol="tcp", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        run_scoring(str(default_model), [str(many)], str(remote), backend="dask", scheduler=cluster.scheduler_address)
    assert local.read_bytes() == remote.read_bytes()


def test_seed_speaker_breakdown(default_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    summary = run_scoring(str(default_model), [str(SEED_ARTICLE)], str(out))
    (row,) = list(summary.articles)
    assert row["by_speaker"]["Alexander Lukashenko"]["threat"] > 0
    assert set(row["by_speaker"]["Alexander Lukashenko"]) == set(LABELS)
    rows = read_jsonl(out)
    boiler = sum(r["boilerplate"] for r in rows)
    assert boiler and row["boilerplate_sentences"] == boiler and row["content_sentences"] + boiler == row["sentences"] == len(rows)
    speakers = {s["speaker"]: s for s in summary.speaker_table()}
    assert speakers["Alexander Lukashenko"]["counts"]["threat"] == row["by_speaker"]["Alexander Lukashenko"]["threat"]
    assert "(unattributed)" in speakers
    rows = read_jsonl(out)
    assert (
        sum("threat" in r["labels"] for r in rows if r["speaker"] == "Alexander Lukashenko" and not r["boilerplate"])
        == (row["by_speaker"]["Alexander Lukashenko"]["threat"])
    )
    for r in rows:
        assert set(r["evidence"]) == set(r["labels"])  # evidence for each predicted label, and only those
        for terms in r["evidence"].values():
            assert terms and all(w > 0 for _, w in terms)


def test_summary_csv_columns(default_model: Path, many: Path, tmp_path: Path) -> None:
    path, js = tmp_path / "summary.csv", tmp_path / "summary.json"
    run_scoring(str(default_model), [str(many)], str(tmp_path / "s.jsonl"), summary_path=str(path))
    run_scoring(str(default_model), [str(many)], str(tmp_path / "s.jsonl"), summary_path=str(js))
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["kind", "name", "sentences", *[f"{x}_count" for x in LABELS], *[f"{x}_rate" for x in LABELS]]
    articles = [r for r in rows if r["kind"] == "article"]
    speakers = [r for r in rows if r["kind"] == "speaker"]
    assert len(articles) == 41 and {r["name"] for r in articles} >= {"wire-0", "wire-39"}
    assert any(r["name"] == "Alexander Lukashenko" for r in speakers)
    summary = json.loads(js.read_text(encoding="utf-8"))
    assert summary["totals"]["articles"] == 41
    for r, a in zip(articles, summary["articles"]):
        assert r["name"] == a["article"] and int(r["sentences"]) == a["content_sentences"]
        assert [int(r[f"{x}_count"]) for x in LABELS] == [a["counts"][x] for x in LABELS]
        assert [float(r[f"{x}_rate"]) for x in LABELS] == [a["rates"][x] for x in LABELS]


def test_parquet_holds_what_jsonl_holds(default_model: Path, many: Path, tmp_path: Path) -> None:
    import pandas as pd

    from stance.render.files import ParquetWriter

    jl, pq = tmp_path / "s.jsonl", tmp_path / "s.parquet"
    run_scoring(str(default_model), [str(many)], str(jl))
    old = ParquetWriter.ROWS_PER_GROUP
    ParquetWriter.ROWS_PER_GROUP = 100  # several row groups
    try:
        run_scoring(str(default_model), [str(many)], str(pq), fmt="parquet")
    finally:
        ParquetWriter.ROWS_PER_GROUP = old
    rows, df = read_jsonl(jl), pd.read_parquet(pq)
    assert len(df) == len(rows) > 200
    for r, (_, d) in zip(rows, df.iterrows()):
        assert (d["article"], d["sentence"], d["start"], d["end"], d["text"]) == (
            r["article"],
            r["sentence"],
            r["start"],
            r["end"],
            r["text"],
        )
        assert list(d["labels"]) == r["labels"] and json.loads(d["evidence"]) == r["evidence"]
        assert [d[f"score_{lab}"] for lab in LABELS] == [r["scores"][lab] for lab in LABELS]
    import pyarrow.parquet

    assert pyarrow.parquet.ParquetFile(pq).num_row_groups > 1


def test_parquet_needs_a_file(default_model: Path) -> None:
    from stance.errors import StanceError

    with pytest.raises(StanceError, match="parquet needs --out"):
        run_scoring(str(default_model), [str(SEED_ARTICLE)], None, fmt="parquet")
    with pytest.raises(StanceError, match="unknown format 'xml'"):
        run_scoring(str(default_model), [str(SEED_ARTICLE)], None, fmt="xml")


def test_seed_narration_lands_under_lukashenko(default_model: Path, tmp_path: Path) -> None:
    """Lukashenko's blame and warning in the narration ("... on Thursday blamed Ukraine", "he warned that
    Ukraine should not touch ...") are his in the records and in the summary, not "(unattributed)"."""
    out = tmp_path / "s.jsonl"
    summary = run_scoring(str(default_model), [str(SEED_ARTICLE)], str(out))
    rows = read_jsonl(out)
    blamed = next(r for r in rows if "on Thursday blamed Ukraine" in r["text"])
    warned = next(r for r in rows if r["text"].startswith("In October, he warned that Ukraine"))
    assert (blamed["holder"], blamed["holder_source"], blamed["speaker"]) == (
        "Alexander Lukashenko",
        "reporting-verb",
        "Alexander Lukashenko",
    )
    assert (warned["holder"], warned["holder_source"]) == ("Alexander Lukashenko", "pronoun")
    assert "blame" in blamed["labels"]
    (row,) = list(summary.articles)
    table = {s["speaker"]: s for s in summary.speaker_table()}
    content = [r for r in rows if not r["boilerplate"]]
    for lab in LABELS:  # each label of a sentence he holds is counted under his name, and only those
        his = sum(lab in r["labels"] for r in content if r["holder"] == "Alexander Lukashenko")
        nobody = sum(lab in r["labels"] for r in content if r["holder"] is None)
        assert row["by_speaker"]["Alexander Lukashenko"][lab] == table["Alexander Lukashenko"]["counts"][lab] == his
        assert table["(unattributed)"]["counts"][lab] == nobody
    assert table["Alexander Lukashenko"]["counts"]["blame"] >= 1 + sum(
        "blame" in r["labels"] for r in content if r["quote"] and r["holder"]
    )
    assert {r["holder_source"] for r in rows} == {None, "quote", "reporting-verb", "pronoun"}
