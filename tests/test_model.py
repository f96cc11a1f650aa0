"""The estimator: scikit-learn conventions, thresholds, evidence, reproducibility, artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from stance.config import load_config
from stance.data import load_data
from stance.model import base_rate_weights, best_f1_threshold, build_model
from stance.train import fit_model, train


def test_estimator_conventions(tiny_config: Path) -> None:
    cfg = load_config(tiny_config)
    data = load_data(cfg.data.train, cfg.labels, cfg.data)
    model = build_model(cfg)
    assert not hasattr(model, "thresholds_")
    fitted = model.fit(data.texts, data.Y)
    assert fitted is model
    P = model.predict_proba(data.texts)
    assert P.shape == (len(data), 3) and ((P >= 0) & (P <= 1)).all()
    assert model.predict(data.texts).shape == (len(data), 3)
    c = clone(model)
    assert not hasattr(c, "ovr_") and c.get_params()["labels"] == cfg.labels
    ev = model.evidence(["We will crush anyone who crosses the border."], top_k=3)
    assert set(ev[0]) == set(cfg.labels) and all(len(v) <= 3 for v in ev[0].values())


def test_threshold_search() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 0, 0, 0])
    t = best_f1_threshold(p, y, np.ones(6))
    assert 0.3 < t < 0.7
    w = base_rate_weights(np.array([[1, 0], [0, 0], [0, 1], [0, 0]]), none_rate=0.9)
    assert w[1] == w[3] > 1 and w[0] == 1
    # weights never reduce unlabelled rows
    assert (base_rate_weights(np.array([[0, 0]] * 9 + [[1, 0]]), none_rate=0.5) == 1).all()


def test_training_twice_gives_identical_predictions(tiny_config: Path, tmp_path: Path) -> None:
    cfg = load_config(tiny_config)
    a = train(cfg, tmp_path / "a")
    b = train(cfg, tmp_path / "b")
    assert a["thresholds"] == b["thresholds"]
    from stance.artifact import load_model

    ma, _ = load_model(tmp_path / "a")
    mb, _ = load_model(tmp_path / "b")
    texts = ["They provoked this war.", "We deny it all.", "If you attack, we will respond."]
    assert np.array_equal(ma.predict_proba(texts), mb.predict_proba(texts))


def test_no_dev_split_uses_cross_validated_thresholds(tiny_config: Path) -> None:
    cfg = load_config(tiny_config, ['data.dev=""'])
    import dataclasses

    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, dev=None))
    data = load_data(cfg.data.train, cfg.labels, cfg.data)
    _, source = fit_model(cfg, data, None)
    assert source == "train-cv"


def test_label_with_too_few_examples_is_an_error(tmp_path: Path, tiny_config: Path) -> None:
    from stance.errors import StanceError

    p = tmp_path / "few.jsonl"
    p.write_text("\n".join(json.dumps({"text": f"sentence {i}", "labels": ["blame"] if i < 5 else []}) for i in range(20)))
    cfg = load_config(tiny_config, [f'data.train="{p}"'])
    with pytest.raises(StanceError, match="label 'threat' has 0 example"):
        train(cfg, tmp_path / "m")


def test_tampered_and_incompatible_models(tiny_config: Path, tmp_path: Path) -> None:
    from stance.artifact import load_model, read_manifest
    from stance.errors import StanceError

    train(load_config(tiny_config), tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    manifest["format_version"] = 99
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StanceError, match="format 99 is not supported"):
        read_manifest(tmp_path / "m")
    (tmp_path / "m" / "manifest.json").write_text("{not json")
    with pytest.raises(StanceError, match="not valid JSON"):
        load_model(tmp_path / "m")


def test_version_drift_warns(tiny_config: Path, tmp_path: Path) -> None:
    from stance.artifact import VersionWarning, load_model

    train(load_config(tiny_config), tmp_path / "m")
    mf = tmp_path / "m" / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    mf.write_text(json.dumps(manifest))
    with pytest.warns(VersionWarning, match="trained with scikit-learn 0.0.1"):
        load_model(tmp_path / "m")


def test_skops_format(tiny_config: Path, tmp_path: Path) -> None:
    pytest.importorskip("skops")
    from stance.artifact import load_model

    train(load_config(tiny_config), tmp_path / "m", fmt="skops")
    assert (tmp_path / "m" / "model.skops").exists()
    model, manifest = load_model(tmp_path / "m")
    assert manifest["model_format"] == "skops" and model.predict_proba(["x"]).shape == (1, 3)


def test_cv_and_tune(tiny_config: Path) -> None:
    from stance.tune import cross_validate, to_toml, tune

    cfg = load_config(tiny_config)
    res = cross_validate(cfg, folds=2)
    assert res["folds"] == 2 and 0 <= res["macro_f1"]["mean"] <= 1 and "std" in res["per_label"]["blame"]["f1"]
    cfg = load_config(tiny_config, ['tune.grid={"model.C"=[0.5, 2.0]}', "tune.folds=2"])
    out = tune(cfg)
    assert len(out["candidates"]) == 2 and out["best"]["params"]["model.C"] in (0.5, 2.0)
    from stance.config import config_from_dict, tomllib

    again = config_from_dict(tomllib.loads(to_toml(out["best_config"])))
    assert out["best"]["params"]["model.C"] == again.model.C


def test_random_search_with_distribution(tiny_config: Path) -> None:
    from stance.errors import StanceError
    from stance.tune import grid_candidates, tune

    grid = {"model.C": {"dist": "loguniform", "low": 0.1, "high": 10.0}, "features.min_df": [1, 2]}
    cands = grid_candidates(grid, n_iter=4, seed=0)
    assert len(cands) == 4 and all(0.1 <= c["model.C"] <= 10 for c in cands)
    assert cands == grid_candidates(grid, n_iter=4, seed=0)  # reproducible
    with pytest.raises(StanceError, match="n_iter"):
        grid_candidates(grid)
    with pytest.raises(StanceError, match="tune.grid.model.C"):
        grid_candidates({"model.C": {"dist": "normal", "low": 0, "high": 1}}, n_iter=2)
    cfg = load_config(tiny_config, ['tune.grid={"model.C"={dist="loguniform", low=0.5, high=4.0}}', "tune.n_iter=2", "tune.folds=2"])
    out = tune(cfg)
    assert len(out["candidates"]) == 2
