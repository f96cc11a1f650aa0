"""stance.tune: cross-validation and grid / random search over configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from stance.config import load_config
from stance.errors import StanceError
from stance.tune import cross_validate, grid_candidates, to_toml, tune


def test_cv_and_tune(tiny_config: Path) -> None:

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
