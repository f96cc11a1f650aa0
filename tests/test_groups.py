"""Corrected prevalence by group through the product: ``stance score --group-by`` (metadata field,
holder, period, crossed) in the JSON and CSV summaries, the plot, the HTML page, ``--jobs``, and
``stance compare-groups`` on the summary it writes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from stance.articles import iter_articles
from stance.batch import run_scoring
from tests.conftest import TINY, assert_one_line_error, cli, config, invoke, jsonl

OUTLETS = ["Wire", "Daily", "Post"]


@pytest.fixture()
def outlets(tmp_path: Path) -> Path:
    """36 one-paragraph articles with outlet, author and date fields; the Wire's carry the blame
    sentences twice over (so its blame rate stands out)."""
    path = tmp_path / "outlets.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i, (text, _labels) in enumerate(TINY):
            outlet = OUTLETS[i % 3]
            extra = " Critics said the board's negligence caused the collapse of the bank." if outlet == "Wire" else ""
            row = {"id": f"a{i}", "text": text + extra, "outlet": outlet, "author": f"au{i % 2}", "date": f"2024-0{1 + i % 3}-{10 + i % 9}"}
            fh.write(json.dumps(row) + "\n")
    return path


def test_articles_carry_their_metadata(outlets: Path) -> None:
    first = next(iter_articles([str(outlets)]))
    assert first.id == "a0" and first.meta == {"id": "a0", "outlet": "Wire", "author": "au0", "date": "2024-01-10"}


def test_score_group_by_field_holder_and_month(model_dir: Path, outlets: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    result = invoke(
        "score", model_dir, outlets, "-o", tmp_path / "out.jsonl", "--summary", summary,
        "--group-by", "outlet", "--group-by", "holder", "--group-by", "date:month", "--group-by", "outlet,date:month", "--bootstrap", "200",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "prevalence by ACC with error rates measured on dev" in result.stderr
    block = json.loads(summary.read_text(encoding="utf-8"))["prevalence"]
    assert block["method"] == "acc" and block["n_boot"] == 200
    assert block["error_rates"]["source"]["split"] == "dev" and block["error_rates"]["source"]["n"] == len(TINY)
    rows = block["groups"]
    names = {(r["grouping"], r["name"]) for r in rows}
    assert {("outlet", o) for o in OUTLETS} <= names
    assert {("date:month", m) for m in ("2024-01", "2024-02", "2024-03")} <= names
    assert ("outlet,date:month", "Wire | 2024-01") in names
    holders = {n for g, n in names if g == "holder"}
    assert "(unattributed)" in holders and len(holders) > 1  # "Critics said ..." is attributed
    for r in rows:
        assert set(r) >= {"sentences", "count", "raw_rate", "prevalence", "ci", "method", "rates_from"}
        assert r["method"] == "acc" and r["rates_from"]["split"] == "dev"
        assert r["ci"] is None or r["ci"][0] <= r["prevalence"] <= r["ci"][1]
    by = {(r["grouping"], r["name"], r["label"]): r for r in rows}
    assert by[("outlet", "Wire", "blame")]["raw_rate"] > by[("outlet", "Daily", "blame")]["raw_rate"]
    # every content sentence is in exactly one group of each grouping
    for grouping in ("outlet", "holder", "date:month"):
        assert sum(r["sentences"] for r in rows if r["grouping"] == grouping and r["label"] == "blame") == block["sentences"]
    assert set(block["comparisons"]) == {"outlet", "holder", "date:month", "outlet,date:month"}


def test_csv_summary_carries_the_same_figures(model_dir: Path, outlets: Path, tmp_path: Path) -> None:
    as_json, as_csv = tmp_path / "s.json", tmp_path / "s.csv"
    for path in (as_json, as_csv):
        assert (
            invoke(
                "score", model_dir, outlets, "-o", tmp_path / "o.jsonl", "--summary", path, "-g", "outlet", "--bootstrap", "100"
            ).exit_code
            == 0
        )
    rows = {(r["name"], r["label"]): r for r in json.loads(as_json.read_text(encoding="utf-8"))["prevalence"]["groups"]}
    groups = [r for r in csv.DictReader(as_csv.open(encoding="utf-8")) if r["kind"] == "group:outlet"]
    assert sorted(r["name"] for r in groups) == sorted(OUTLETS)
    for g in groups:
        for lab in ("blame", "threat", "denial"):
            r = rows[(g["name"], lab)]
            assert int(g["sentences"]) == r["sentences"] and int(g[f"{lab}_count"]) == r["count"]
            assert float(g[f"{lab}_rate"]) == r["raw_rate"] and float(g[f"{lab}_prevalence"]) == r["prevalence"]
            assert [float(g[f"{lab}_ci_low"]), float(g[f"{lab}_ci_high"])] == r["ci"]
        assert g["method"] == "acc" and g["rates_from"].startswith("dev split: ")


def test_jobs_give_the_same_groups(model_dir: Path, outlets: Path, tmp_path: Path) -> None:
    """The bootstrap weights depend on the article, not on the order or the worker: --jobs changes nothing."""
    one = run_scoring(str(model_dir), [str(outlets)], str(tmp_path / "1.jsonl"), group_by=["outlet", "holder"], n_boot=50)
    two = run_scoring(
        str(model_dir), [str(outlets)], str(tmp_path / "2.jsonl"), jobs=2, backend="threading", group_by=["outlet", "holder"], n_boot=50
    )
    assert one.prevalence() == two.prevalence()


def test_plot_and_html_page(model_dir: Path, outlets: Path, tmp_path: Path) -> None:
    png, page = tmp_path / "groups.png", tmp_path / "page.html"
    result = invoke(
        "score", model_dir, outlets, "-o", page, "-f", "html", "-g", "outlet", "-g", "date:month", "--plot", png, "--bootstrap", "50"
    )
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = page.read_text(encoding="utf-8")
    assert "By group: corrected prevalence" in html and "data:image/png;base64," in html
    assert "<h3>outlet</h3>" in html and "<h3>date:month</h3>" in html and "<td>Wire</td>" in html


def test_group_by_needs_an_output_and_plot_needs_groups(model_dir: Path, outlets: Path, tmp_path: Path) -> None:
    assert_one_line_error(cli("score", model_dir, outlets, "-o", tmp_path / "o.jsonl", "-g", "outlet"), "--group-by needs")
    assert_one_line_error(
        cli("score", model_dir, outlets, "-o", tmp_path / "o.jsonl", "--plot", tmp_path / "p.png"), "--plot needs --group-by"
    )
    bad = cli("score", model_dir, outlets, "-o", tmp_path / "o.jsonl", "--summary", tmp_path / "s.json", "-g", "date:day")
    assert_one_line_error(bad, "bad time grouping", "date:month")
    assert_one_line_error(cli("score", model_dir, outlets, "--summary", tmp_path / "s.json", "-g", "outlet", "--method", "hdy"), "hdy")


def test_model_without_error_rates_gives_raw_rates(tmp_path: Path, outlets: Path) -> None:
    from stance.config import load_config
    from stance.train import train

    out = tmp_path / "nodev"
    manifest = train(load_config(config(tmp_path, jsonl(tmp_path / "train.jsonl", TINY))), out)
    assert "error_rates" not in manifest
    summary = tmp_path / "s.json"
    with pytest.warns(UserWarning, match="stance calibrate"):
        run_scoring(str(out), [str(outlets)], str(tmp_path / "o.jsonl"), summary_path=str(summary), group_by=["outlet"], n_boot=20)
    block = json.loads(summary.read_text(encoding="utf-8"))["prevalence"]
    assert block["method"] == "raw" and block["error_rates"] is None
    assert all(r["prevalence"] == r["raw_rate"] and r["rates_from"] is None for r in block["groups"])


def test_compare_groups_reads_the_summary(model_dir: Path, outlets: Path, tmp_path: Path) -> None:
    summary, pairs_out = tmp_path / "s.json", tmp_path / "pairs.json"
    assert (
        invoke("score", model_dir, outlets, "-o", tmp_path / "o.jsonl", "--summary", summary, "-g", "outlet", "-g", "author").exit_code == 0
    )
    every = invoke("compare-groups", summary, "--all", "--grouping", "outlet", "--out", pairs_out)
    assert every.exit_code == 0, every.output
    assert "9 compared pairs" in every.stdout and "Daily" in every.stdout and "p (Holm)" in every.stdout
    written = json.loads(pairs_out.read_text(encoding="utf-8"))
    assert written["method"] == "acc" and written["rates_from"]["split"] == "dev"
    pairs = written["pairs"]
    assert len(pairs) == 3 * 3 and {p["grouping"] for p in pairs} == {"outlet"}
    for p in pairs:
        assert set(p) >= {"label", "a", "b", "difference", "ci", "p_value", "p_holm", "differs", "intervals_overlap"}
        assert p["differs"] == (p["p_holm"] is not None and p["p_holm"] < 0.05)
    wire_blame = [p for p in pairs if p["label"] == "blame" and "Wire" in (p["a"], p["b"])]
    assert all(p["differs"] for p in wire_blame)  # every Wire article carries an extra blame sentence
    only = invoke("compare-groups", summary, "--label", "blame")
    assert only.exit_code == 0 and "pairs that differ" in only.stdout
    assert all(line.split()[1] == "blame" for line in only.stdout.splitlines()[2:-1])


def test_compare_groups_errors(model_dir: Path, outlets: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.json"
    assert invoke("score", model_dir, outlets, "-o", tmp_path / "o.jsonl", "--summary", plain).exit_code == 0
    assert_one_line_error(cli("compare-groups", plain), "no grouped prevalence", "--group-by")
    grouped = tmp_path / "g.json"
    assert (
        invoke("score", model_dir, outlets, "-o", tmp_path / "o.jsonl", "--summary", grouped, "-g", "outlet", "--bootstrap", "20").exit_code
        == 0
    )
    assert_one_line_error(cli("compare-groups", grouped, "--grouping", "outlets"), "no grouping 'outlets'", 'did you mean "outlet"')


def test_group_by_holder_joins_name_variants() -> None:
    """--group-by holder has one group per normalised holder across articles, as the summary does."""
    from stance.groups import GroupedPrevalence

    g = GroupedPrevalence(["blame"], None, ["holder"], method="raw", n_boot=50)
    g.add([{"article": "a", "labels": ["blame"], "scores": {"blame": 0.9}, "holder": "Farmers"}])
    g.add(
        [
            {"article": "b", "labels": [], "scores": {"blame": 0.1}, "holder": "farmers"},
            {"article": "b", "labels": [], "scores": {}, "holder": None},
        ]
    )
    g.add(
        [
            {"article": "c", "labels": ["blame"], "scores": {"blame": 0.8}, "holder": "The Ministry"},
            {"article": "c", "labels": [], "scores": {}, "holder": "the ministry"},
        ]
    )
    rows = {r["name"]: r for r in g.results()}
    assert set(rows) == {"Farmers", "the Ministry", "(unattributed)"}  # ties: the first form in sorted order
    assert (rows["Farmers"]["sentences"], rows["Farmers"]["count"]) == (2, 1) and rows["Farmers"]["group"] == {"holder": "Farmers"}
    assert rows["the Ministry"]["sentences"] == 2
    pairs = g.to_dict()["comparisons"]["holder"]
    assert {(p["a"], p["b"]) for p in pairs} <= {(x, y) for x in rows for y in rows}
