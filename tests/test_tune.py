"""stance.tune: cross-validation and grid / random search over configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stance.config import load_config
from stance.errors import StanceError
from stance.tune import cross_validate, grid_candidates, to_toml, tune


def test_cross_validate_is_the_fold_models_own_scores(tiny_config: Path) -> None:
    """Each fold fits a clone of the config's estimator (thresholds learnt inside its fit) and is
    scored on its held-out part; the aggregate is the mean and sample std of those scores."""
    from stance.data import concat, load_split
    from stance.folds import stratified_kfold
    from stance.metrics import f1_scores
    from stance.model import build_model

    cfg = load_config(tiny_config)
    res = cross_validate(cfg, folds=2)
    data = concat([load_split(cfg, "train"), load_split(cfg, "dev")])
    assert (res["folds"], res["n"]) == (2, len(data)) and len(res["per_fold"]) == 2
    for (tr, te), fold in zip(stratified_kfold(data.Y, 2, cfg.seed), res["per_fold"]):
        model = build_model(cfg).fit([data.texts[i] for i in tr], data.Y[tr])
        assert fold["macro_f1"] == pytest.approx(f1_scores(data.Y[te], model.predict([data.texts[i] for i in te]))[2], abs=1e-4)
    macro = [f["macro_f1"] for f in res["per_fold"]]
    assert res["macro_f1"] == {"mean": round(float(np.mean(macro)), 4), "std": round(float(np.std(macro, ddof=1)), 4)}
    assert set(res["per_label"]["blame"]) == {"precision", "recall", "f1"}


def test_tune_picks_the_best_candidate_and_writes_a_config(tiny_config: Path, tmp_path: Path) -> None:
    cfg = load_config(tiny_config, ['tune.grid={"model.C"=[0.5, 2.0]}', "tune.folds=2"])
    out = tune(cfg, out=tmp_path / "tuned")
    assert [c["params"]["model.C"] for c in out["candidates"]] == [0.5, 2.0]
    assert out["best"]["macro_f1"] == max(c["macro_f1"] for c in out["candidates"])
    assert out["dev_metrics"]["n"] == len(Path(cfg.data.dev).read_text().splitlines())  # the winner measured on dev
    from stance.config import config_from_dict, tomllib

    again = config_from_dict(tomllib.loads(to_toml(out["best_config"])))
    assert out["best"]["params"]["model.C"] == again.model.C
    written = load_config(tmp_path / "tuned" / "best.toml")  # its data paths resolve from where it lies
    assert written.model.C == again.model.C and Path(written.data.train).resolve() == Path(cfg.data.train).resolve()


def test_random_search_with_distribution(tiny_config: Path) -> None:
    from stance.tune import tune

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
