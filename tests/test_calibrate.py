"""``stance calibrate``: error rates re-measured on other labelled data replace the manifest's,
atomically, without touching the model file; training stores rates measured on dev."""

from __future__ import annotations

import json
from pathlib import Path

from stance.artifact import update_manifest, verify_model
from stance.errors import StanceError
from tests.conftest import TINY, assert_one_line_error, cli, invoke, jsonl


def test_training_stores_error_rates_measured_on_dev(model_dir: Path) -> None:
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    rates = manifest["error_rates"]
    assert rates["source"]["split"] == "dev" and rates["source"]["n"] == len(TINY) and rates["source"]["thresholds_tuned_here"]
    assert set(rates["per_label"]) == {"blame", "threat", "denial"}
    blame = rates["per_label"]["blame"]
    assert blame["positives"] == sum("blame" in labs for _, labs in TINY) and 0 <= blame["fpr"] <= blame["tpr"] <= 1


def test_calibrate_rewrites_the_rates_not_the_model(model_dir: Path, tmp_path: Path) -> None:
    before = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    other = jsonl(tmp_path / "sample.jsonl", TINY[::3])
    result = invoke("calibrate", model_dir, "--data", other)
    assert result.exit_code == 0, result.output
    assert f"error rates measured on {other} ({len(TINY[::3])} sentences)" in result.stdout
    assert "replaced those measured on dev" in result.stdout and "TPR" in result.stdout
    after = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    assert after["model_sha256"] == before["model_sha256"] and verify_model(model_dir)["model_sha256"] == before["model_sha256"]
    assert after["error_rates"]["source"]["path"] == str(other) and after["error_rates"]["source"]["n"] == len(TINY[::3])
    assert after["error_rates"]["source"]["by"] == "stance calibrate"
    assert {k: v for k, v in after.items() if k != "error_rates"} == {k: v for k, v in before.items() if k != "error_rates"}
    assert not list(model_dir.glob(".*.tmp"))  # written atomically, nothing left beside it
    # score --group-by now says where its rates came from
    articles = tmp_path / "a.jsonl"
    articles.write_text(json.dumps({"id": "x", "text": TINY[0][0], "outlet": "Wire"}) + "\n", encoding="utf-8")
    summary = tmp_path / "s.json"
    assert (
        invoke(
            "score", model_dir, articles, "-o", tmp_path / "o.jsonl", "--summary", summary, "-g", "outlet", "--bootstrap", "20"
        ).exit_code
        == 0
    )
    block = json.loads(summary.read_text(encoding="utf-8"))["prevalence"]
    assert block["error_rates"]["source"]["path"] == str(other) and block["groups"][0]["rates_from"]["path"] == str(other)


def test_calibrate_errors(model_dir: Path, tmp_path: Path) -> None:
    assert_one_line_error(cli("calibrate", model_dir, "--data", tmp_path / "missing.jsonl"), "file not found")
    (model_dir / "model.skops").write_bytes(b"tampered")
    assert_one_line_error(cli("calibrate", model_dir, "--data", jsonl(tmp_path / "s.jsonl", TINY)), "sha256")


def test_update_manifest_refuses_fields_that_describe_the_model_file(model_dir: Path) -> None:
    import pytest

    with pytest.raises(StanceError, match="model_sha256"):
        update_manifest(model_dir, {"model_sha256": "0" * 64})
