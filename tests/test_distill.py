"""Distillation: `stance distill` writes a teacher's soft labels; `data.soft` trains on them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stance.artifact import load_model
from stance.config import load_config
from stance.distill import load_soft, teach
from stance.errors import StanceError
from stance.train import train
from tests.conftest import LABELS, OTHERS, TINY, assert_one_line_error, cli, config, jsonl

POOL = [
    "The government blamed the opposition for the collapse of the talks.",
    "Officials denied that any civilians had been hurt in the strike.",
    "If the sanctions go ahead, we will respond with force.",
    *OTHERS,
]


def _pool(path: Path) -> Path:
    path.write_text("".join(json.dumps({"text": t, "source": f"doc{i}", "licence": "CC0"}) + "\n" for i, t in enumerate(POOL)))
    return path


def test_distill_cli_writes_the_teachers_probabilities(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "soft.jsonl"
    r = cli("distill", model_dir, _pool(tmp_path / "pool.jsonl"), "--out", out)
    assert r.exit_code == 0, r.output
    assert f"{len(POOL)} sentences with soft labels" in r.stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    model, manifest = load_model(model_dir)
    P = model.predict_proba(POOL)
    assert [r["text"] for r in rows] == POOL and [r["source"] for r in rows] == [f"doc{i}" for i in range(len(POOL))]
    for row, p in zip(rows, P):
        assert list(row["soft"]) == LABELS
        np.testing.assert_allclose([row["soft"][lab] for lab in LABELS], p, atol=1e-4)
        assert row["teacher"]["model_sha256"] == manifest["model_sha256"]


def test_training_with_soft_labels_learns_from_them(model_dir: Path, tmp_path: Path) -> None:
    soft = tmp_path / "data" / "soft.jsonl"
    soft.parent.mkdir()
    teach(model_dir, _pool(tmp_path / "pool.jsonl"), soft)
    data = jsonl(tmp_path / "train.jsonl", TINY)
    plain = config(tmp_path, data, data, name="plain.toml")
    # data.soft is relative to the config file, like the splits
    distilled = config(tmp_path, data, data, extra="", name="distilled.toml")
    text = distilled.read_text().replace("[features]", 'soft = "data/soft.jsonl"\nsoft_weight = 2.0\n[features]')
    distilled.write_text(text)
    a = train(load_config(plain), tmp_path / "a")
    b = train(load_config(distilled), tmp_path / "b")
    assert "soft" not in a["data"]
    assert b["data"]["soft"]["n"] == len(POOL) and len(b["data"]["soft"]["sha256"]) == 64
    assert b["config"]["data"]["soft_weight"] == 2.0
    pa = load_model(tmp_path / "a")[0].predict_proba(POOL)
    pb = load_model(tmp_path / "b")[0].predict_proba(POOL)
    assert not np.allclose(pa, pb)
    # the same config, data and soft labels give the same model
    c = train(load_config(distilled), tmp_path / "c")
    assert c["thresholds"] == b["thresholds"]
    assert load_model(tmp_path / "c")[0].predict_proba(POOL).tobytes() == pb.tobytes()


@pytest.mark.parametrize(
    "row, fragment",
    [
        ({"text": "x y z"}, "field 'soft' must be an object"),
        ({"text": "x y z", "soft": {"blame": 0.2, "threat": 0.1}}, "soft label 'denial' must be a probability in [0, 1], got missing"),
        (
            {"text": "x y z", "soft": {"blame": 1.2, "threat": 0.1, "denial": 0}},
            "soft label 'blame' must be a probability in [0, 1], got 1.2",
        ),
        ({"text": "", "soft": {"blame": 0.2, "threat": 0.1, "denial": 0}}, "no text in field 'text'"),
    ],
)
def test_bad_soft_label_files_are_one_line_errors(tmp_path: Path, row: dict, fragment: str) -> None:
    soft = tmp_path / "soft.jsonl"
    good = {"text": "fine words here", "soft": {"blame": 0.1, "threat": 0.2, "denial": 0.3}}
    soft.write_text(json.dumps(good) + "\n" + json.dumps(row) + "\n")
    data = jsonl(tmp_path / "train.jsonl", TINY)
    cfg = config(tmp_path, data, data)
    cfg.write_text(cfg.read_text().replace("[features]", f'soft = "{soft}"\n[features]'))
    r = cli("train", "--config", cfg, "--out", tmp_path / "m")
    assert_one_line_error(r, f"{soft}:2", fragment)
    assert not (tmp_path / "m" / "manifest.json").exists()


def test_soft_labels_are_for_the_fast_tier_with_dev_thresholds(tmp_path: Path) -> None:
    data = jsonl(tmp_path / "train.jsonl", TINY)
    for extra, fragment in [
        ('[thresholds]\nstrategy = "cv"\n', "data.soft"),
        ('[model]\nkind = "transformer"\n', "data.soft"),
    ]:
        cfg = config(tmp_path, data, data, extra=extra)
        cfg.write_text(cfg.read_text().replace("[features]", 'soft = "s.jsonl"\n[features]'))
        with pytest.raises(StanceError, match=fragment):
            load_config(cfg)
    cfg = config(tmp_path, data, data)
    cfg.write_text(cfg.read_text().replace("[features]", 'soft = "s.jsonl"\nsoft_weight = 0\n[features]'))
    with pytest.raises(StanceError, match="data.soft_weight"):
        load_config(cfg)


def test_load_soft_reads_several_files(tmp_path: Path) -> None:
    from stance.config import DataConfig

    files = []
    for k in range(2):
        p = tmp_path / f"s{k}.jsonl"
        p.write_text(json.dumps({"text": f"sentence {k}", "soft": {"blame": 0.25 * k, "threat": 0.5, "denial": 1}}) + "\n")
        files.append(str(p))
    texts, P, _ = load_soft(files, LABELS, DataConfig())
    assert texts == ["sentence 0", "sentence 1"]
    np.testing.assert_allclose(P, [[0, 0.5, 1], [0.25, 0.5, 1]])


def test_distill_of_a_missing_pool_is_a_one_line_error(model_dir: Path, tmp_path: Path) -> None:
    r = cli("distill", model_dir, tmp_path / "nope.jsonl", "--out", tmp_path / "s.jsonl")
    assert_one_line_error(r, "nope.jsonl")
    assert not (tmp_path / "s.jsonl").exists()


def test_cross_validation_says_it_leaves_the_soft_labels_out(model_dir: Path, tmp_path: Path) -> None:
    soft = tmp_path / "soft.jsonl"
    teach(model_dir, _pool(tmp_path / "pool.jsonl"), soft)
    data = jsonl(tmp_path / "train.jsonl", TINY)
    cfg = config(tmp_path, data, data)
    cfg.write_text(cfg.read_text().replace("[features]", f'soft = "{soft}"\n[features]'))
    r = cli("cv", "--config", cfg, "--folds", "2")
    assert r.exit_code == 0, r.output
    assert "gold labels only" in r.stderr and "data.soft" in r.stderr
