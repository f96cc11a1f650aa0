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
