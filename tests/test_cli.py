"""Each command through Typer's test runner, on the shipped seeds and on damaged inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from tests.conftest import SEED_ARTICLE

runner = CliRunner()


def invoke(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_help_lists_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for cmd in ("train", "evaluate", "score", "compare", "verify"):
        assert cmd in result.output


def test_train_evaluate_score_compare_on_tiny(tiny_config: Path, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    model = tmp_path / "m"
    r = invoke("train", "--config", tiny_config, "--out", model)
    assert r.exit_code == 0, r.output
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["labels"] == ["blame", "threat", "denial"]
    assert set(manifest["thresholds"]) == {"blame", "threat", "denial"}
    for key in ("config", "data", "model_sha256", "versions", "dev_metrics", "created"):
        assert key in manifest
    assert len(manifest["data"]["train"]["sha256"]) == 64

    # refusing to overwrite without --force, and one line on stderr
    r = runner.invoke(app, ["train", "--config", str(tiny_config), "--out", str(model)])
    assert r.exit_code == 1
    assert "already holds a model" in r.output and "Traceback" not in r.output

    rep = tmp_path / "report.json"
    md = tmp_path / "report.md"
    r = invoke("evaluate", model, "--data", tiny_data["test"], "--out", rep, "--markdown", md, "--bootstrap", "50")
    assert r.exit_code == 0, r.output
    report = json.loads(rep.read_text())
    assert {"per_label", "micro_f1", "macro_f1", "predictions", "data", "model"} <= set(report)
    assert set(report["per_label"]["blame"]) >= {"precision", "recall", "f1", "support"}
    assert report["data"]["sha256"] and len(report["predictions"]) == report["n"]
    assert "macro-F1" in r.output and "# stance evaluation report" in md.read_text()

    rep2 = tmp_path / "report2.json"
    r = invoke("evaluate", model, "--data", tiny_data["test"], "--out", rep2, "--threshold", "0.3", "--bootstrap", "0")
    assert r.exit_code == 0
    cmp_out = tmp_path / "cmp.json"
    r = invoke("compare", rep, rep2, "--out", cmp_out, "--resamples", "200")
    assert r.exit_code == 0, r.output
    assert "macro-F1" in r.output
    result = json.loads(cmp_out.read_text())
    assert result["paired"] is True
    assert {"delta", "ci", "p_value", "significant"} <= set(result["macro_f1"])


def test_score_seed_article_jsonl(default_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.jsonl"
    r = invoke("score", default_model, SEED_ARTICLE, "--out", out)
    assert r.exit_code == 0, r.output
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 30
    for row in rows:
        assert text[row["start"] : row["end"]] == row["text"]
        assert set(row["scores"]) == {"blame", "threat", "denial"}
        assert {"article", "sentence", "labels", "boilerplate", "quote", "speaker"} <= set(row)
    assert "blame" in r.output  # the article summary


def _seed_records(default_model: Path) -> list[dict]:
    from stance.artifact import load_model
    from stance.score import Article, score_texts

    model, _ = load_model(default_model)
    (records,) = score_texts(model, [Article("seed", SEED_ARTICLE.read_text(encoding="utf-8"))])
    return records


def _labels_of(records: list[dict], fragment: str) -> list[str]:
    (row,) = [r for r in records if fragment in r["text"]]
    return row["labels"]


def test_seed_article_smoke(default_model: Path) -> None:
    """The product's smoke test: the clear cases of the seed article, as a careful reader labels them."""
    records = _seed_records(default_model)
    assert "threat" in _labels_of(records, "the answer will be immediate")
    assert "denial" in _labels_of(records, "There was no invasion")
    assert "blame" in _labels_of(records, "blamed Ukraine for provoking")
    assert "blame" in _labels_of(records, "the Ukrainian authorities provoked this operation")
    assert "blame" in _labels_of(records, "parroted the Kremlin in blaming Kyiv")
    assert "blame" in _labels_of(records, "You are escalating this conflict today")
    assert _labels_of(records, "Those troops were repulsed") == []
    assert _labels_of(records, "Here's my answer.") == []
    for r in records:
        if r["boilerplate"]:
            assert r["labels"] == []
    footer = [r for r in records if "Sign up" in r["text"] or "Sign Up" in r["text"]]
    captions = [r for r in records if "gestures while giving a speech" in r["text"]]
    assert footer and captions and all(r["boilerplate"] for r in footer + captions)


# Known misses of the default model on the seed article, kept visible (docs/recipes.md, "The seed
# article"): each is a clear case by the codebook that the n-gram tier does not reach.
SEED_KNOWN_MISSES = [
    ("unless you commit aggression on Belarus", "threat"),
    ("I am ready to fight together with the Russians", "threat"),
    ("The war will acquire a completely different scale", "threat"),
    ("the Ukrainian authorities provoked this operation", "denial"),
    ("The United States does not want peace", "blame"),
]


@pytest.mark.xfail(strict=False, reason="known miss of the default n-gram model, see docs/recipes.md")
@pytest.mark.parametrize(("fragment", "label"), SEED_KNOWN_MISSES)
def test_seed_article_known_misses(default_model: Path, fragment: str, label: str) -> None:
    assert label in _labels_of(_seed_records(default_model), fragment)


def test_score_formats_and_summary(default_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(SEED_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "b.jsonl").write_text(json.dumps({"id": "x1", "text": "They started this war. We deny everything."}) + "\n")
    (folder / "junk.txt").write_bytes(b"\x00\x01\x02binary")
    csv_out = tmp_path / "s.csv"
    summary = tmp_path / "summary.json"
    r = runner.invoke(app, ["score", str(default_model), str(folder), "--format", "csv", "--out", str(csv_out), "--summary", str(summary)])
    assert r.exit_code == 0, r.output
    assert "skipped, binary file" in r.output
    head = csv_out.read_text().splitlines()[0]
    assert head.startswith("article,sentence,start,end,text,labels")
    s = json.loads(summary.read_text())
    assert s["totals"]["articles"] == 2 and {a["article"] for a in s["articles"]} >= {"x1"}
    html_out = tmp_path / "s.html"
    r = invoke("score", default_model, SEED_ARTICLE, "--format", "html", "--out", html_out)
    assert r.exit_code == 0
    page = html_out.read_text()
    assert page.startswith("<!doctype html>") and "title=" in page and "By speaker" in page


def test_score_stdin(default_model: Path) -> None:
    r = runner.invoke(app, ["score", str(default_model), "-"], input="We will crush anyone who crosses the border. The weather was fine.")
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 2


def test_verify_and_tampered_model(model_copy: Path, tmp_path: Path) -> None:
    r = invoke("verify", model_copy)
    assert r.exit_code == 0 and "ok" in r.output
    with open(model_copy / "model.joblib", "ab") as fh:
        fh.write(b"tampered")
    for args in (["verify", str(model_copy)], ["score", str(model_copy), str(SEED_ARTICLE)]):
        r = runner.invoke(app, args)
        assert r.exit_code == 1
        assert "sha256 does not match" in r.output and "Traceback" not in r.output


def test_bad_inputs_are_one_line_errors(default_model: Path, tiny_config: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "labels": []}\n{"text": broken\n')
    cases = [
        (["evaluate", str(default_model), "--data", str(tmp_path / "missing.jsonl")], "missing.jsonl: file not found"),
        (["evaluate", str(default_model), "--data", str(bad)], "bad.jsonl:2: malformed JSON"),
        (["score", str(tmp_path / "nomodel"), str(SEED_ARTICLE)], "model directory not found"),
        (["train", "--config", str(tiny_config), "--out", str(tmp_path / "m"), "--set", "model.kind=forest"], "config key 'model.kind'"),
        (["train", "--config", str(tiny_config), "--out", str(tmp_path / "m"), "--set", "modle.C=1"], "unknown config key 'modle'"),
        (["compare", str(bad), str(bad)], "bad.jsonl"),
    ]
    for args, expected in cases:
        r = runner.invoke(app, args)
        assert r.exit_code != 0, args
        assert expected in r.output, (args, r.output)
        assert "Traceback" not in r.output


def test_cv_tune_and_html_report(tiny_config: Path, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    r = invoke("cv", "--config", tiny_config, "--folds", "2", "--out", tmp_path / "cv.json")
    assert r.exit_code == 0, r.output
    assert "macro-F1" in r.output and json.loads((tmp_path / "cv.json").read_text())["folds"] == 2
    r = invoke(
        "tune", "--config", tiny_config, "--set", 'tune.grid={"model.C"=[0.5, 2.0]}', "--set", "tune.folds=2", "--out", tmp_path / "tuned"
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "tuned" / "best.toml").exists() and (tmp_path / "tuned" / "report.json").exists()
    r = invoke("train", "--config", tmp_path / "tuned" / "best.toml", "--out", tmp_path / "m")
    assert r.exit_code == 0, r.output
    r = invoke("evaluate", tmp_path / "m", "--data", tiny_data["test"], "--html", tmp_path / "r.html", "--bootstrap", "20")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64") == 3
    r = runner.invoke(app, ["tune", "--config", str(tiny_config)])
    assert r.exit_code == 1 and "no [tune] grid" in r.output
