"""stance.evaluate: the report of a saved model on labelled data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from stance.artifact import load_model
from stance.data import load_data
from stance.evaluate import build_report, evaluate
from stance.render.files import write_report


def test_build_report_records_decisions_and_errors() -> None:
    rng = np.random.default_rng(1)
    Y = rng.integers(0, 2, (50, 2)).astype(np.uint8)
    P = rng.random((50, 2))
    D = (P >= 0.5).astype(np.uint8)
    rep = build_report(
        [f"sentence {i}" for i in range(50)], Y, P, D, ["blame", "threat"], [0.5, 0.5], {"path": "d"}, {"path": "m"}, n_boot=0
    )
    assert rep["schema_version"] == 1 and len(rep["predictions"]) == 50 and rep["per_label"]["blame"]["threshold"] == 0.5
    for i, p in enumerate(rep["predictions"]):
        assert p["pred"] == [lab for j, lab in enumerate(["blame", "threat"]) if D[i, j]]
    fp = rep["errors"]["blame"]["false_positives"]
    assert fp and all(D[x["i"], 0] == 1 and Y[x["i"], 0] == 0 for x in fp)
    assert [x["score"] for x in fp] == sorted((x["score"] for x in fp), reverse=True)  # most confident first


def test_evaluate_uses_the_models_own_decisions(model_dir: Path, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    report = evaluate(str(model_dir), str(tiny_data["test"]), n_boot=0)
    write_report(report, tmp_path / "r.json", tmp_path / "r.md")
    model, manifest = load_model(model_dir)
    data = load_data(tiny_data["test"], manifest["labels"])
    D = model.predict(data.texts)
    assert [p["pred"] for p in report["predictions"]] == [[lab for lab, d in zip(model.labels_, row) if d] for row in D]
    assert report["model"]["thresholds"] == {lab: round(t, 4) for lab, t in manifest["thresholds"].items()}
    assert json.loads((tmp_path / "r.json").read_text())["n"] == len(data) and (tmp_path / "r.md").exists()
    low = evaluate(str(model_dir), str(tiny_data["test"]), threshold=0.01, n_boot=0)
    assert all(p["pred"] == manifest["labels"] for p in low["predictions"])  # every score is above 0.01
    assert low["model"]["threshold_override"] == 0.01 and set(low["model"]["thresholds"].values()) == {0.01}


def test_evaluate_with_a_labels_field_the_data_lacks_is_an_error(tmp_path: Path) -> None:
    """The newcomer's case: a model trained from delimited labels in a CSV, evaluated with --labels-field tag."""
    from tests.conftest import TINY, assert_one_line_error, cli

    train_csv = tmp_path / "train.csv"
    train_csv.write_text("text,labels\n" + "".join(f'"{t}",{";".join(labs)}\n' for t, labs in TINY), encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'labels = ["blame", "threat", "denial"]\n[data]\ntrain = "{train_csv}"\nlabel_format = "delimited"\n')
    assert cli("train", "--config", cfg, "--out", tmp_path / "m").exit_code == 0
    r = cli("evaluate", tmp_path / "m", "--data", train_csv, "--labels-field", "tag", "--bootstrap", "0")
    assert_one_line_error(r, f"{train_csv}", "labels column 'tag'", "the file's columns are text, labels")
    r = cli("train", "--config", cfg, "--out", tmp_path / "m2", "--set", 'data.labels_field="tag"')
    assert_one_line_error(r, "labels column 'tag'", "the file's columns are text, labels")


def test_threshold_outside_zero_one_is_refused(model_dir: Path, tiny_data: dict[str, Path]) -> None:
    import pytest

    from stance.errors import StanceError
    from tests.conftest import assert_one_line_error, cli

    for bad in (1.5, 1.0, 0.0, -0.2):
        with pytest.raises(StanceError, match="--threshold must be between 0 and 1"):
            evaluate(str(model_dir), str(tiny_data["test"]), threshold=bad, n_boot=0)
    assert_one_line_error(
        cli("evaluate", model_dir, "--data", tiny_data["test"], "--threshold", "1.5"), "--threshold must be between 0 and 1"
    )


def test_a_small_split_is_warned_about_with_the_width_of_its_interval(model_dir: Path, tiny_data: dict[str, Path]) -> None:
    import pytest

    from stance.metrics import SmallSampleWarning
    from tests.conftest import cli

    n = len(load_data(tiny_data["test"], ["blame", "threat", "denial"]))
    with pytest.warns(SmallSampleWarning, match=rf"{n} sentences.* has a 95% interval of \[0\.\d\d, [01]\.\d\d\] \(0\.\d\d wide\)"):
        evaluate(str(model_dir), str(tiny_data["test"]), n_boot=0)
    r = cli("evaluate", model_dir, "--data", tiny_data["test"], "--bootstrap", "0")
    assert r.exit_code == 0 and "warning: " in r.stderr and "wide" in r.stderr


def test_a_small_dev_split_is_warned_about_in_training(tmp_path: Path) -> None:
    import pytest

    from stance.config import load_config
    from stance.metrics import SmallSampleWarning
    from stance.train import train
    from tests.conftest import TINY, config, jsonl

    train_path = jsonl(tmp_path / "train.jsonl", TINY)
    dev = jsonl(tmp_path / "dev.jsonl", TINY[:4] + TINY[6:9] + TINY[12:15] + TINY[20:22])  # 12 sentences
    with pytest.warns(SmallSampleWarning, match="dev split.* 12 sentences"):
        train(load_config(config(tmp_path, train_path, dev)), tmp_path / "m")


def test_evaluate_by_a_column_reports_each_group_as_if_evaluated_alone(model_dir: Path, tmp_path: Path) -> None:
    """`--by section`: each group's figures are those of the group's rows evaluated on their own
    (same bootstrap), rows without the column form "(none)", largest group first."""
    from tests.conftest import TINY, invoke

    parts = ["news", "speech", None]
    rows = [{"text": t, "labels": labs, **({"section": parts[i % 3]} if parts[i % 3] else {})} for i, (t, labs) in enumerate(TINY)]
    path = tmp_path / "parts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = evaluate(str(model_dir), str(path), n_boot=200, by="section")
    groups = report["by"]["groups"]
    assert report["by"]["field"] == "section" and set(groups) == {"news", "speech", "(none)"}
    assert sum(g["n"] for g in groups.values()) == report["n"] == len(rows)
    assert [g["n"] for g in groups.values()] == sorted((g["n"] for g in groups.values()), reverse=True)
    news = tmp_path / "news.jsonl"
    news.write_text("".join(json.dumps(r) + "\n" for r in rows if r.get("section") == "news"), encoding="utf-8")
    alone = evaluate(str(model_dir), str(news), n_boot=200)
    assert groups["news"]["macro_f1"] == alone["macro_f1"] and groups["news"]["macro_f1_ci"] == alone["macro_f1_ci"]
    assert groups["news"]["per_label"] == alone["per_label"]
    write_report(report, tmp_path / "r.json", tmp_path / "r.md", tmp_path / "r.html", kind="evaluation")
    assert "## By section" in (tmp_path / "r.md").read_text() and "<h2>By section</h2>" in (tmp_path / "r.html").read_text()
    result = invoke("evaluate", model_dir, "--data", path, "--by", "section", "--bootstrap", "0")
    assert result.exit_code == 0 and "(none)" in result.stdout and "speech" in result.stdout


def test_evaluate_by_a_column_no_row_has_is_a_one_line_error(model_dir: Path, tiny_data: dict[str, Path]) -> None:
    from tests.conftest import assert_one_line_error, cli

    r = cli("evaluate", model_dir, "--data", tiny_data["test"], "--by", "sourc", "--bootstrap", "0")
    assert_one_line_error(
        r, f"{tiny_data['test']}:1", "no --by column 'sourc'", 'did you mean "source"', "the file's columns are text, labels, source"
    )
